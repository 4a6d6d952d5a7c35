/**
 * ISENGARD_API_TOKEN: every /api route and tRPC procedure but /api/health needs
 * `Authorization: Bearer <token>` or the HttpOnly SameSite=Strict cookie from POST /api/session.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, volumeSandbox, type RawResponse } from './support.js';

const TOKEN = 'S3cure-Token_0123456789abcdefXYZ'; // 32 characters
const UNAUTHORIZED = 'Missing or invalid API token';
const BEARER = { authorization: `Bearer ${TOKEN}` };

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let real: { character: string; image: string; job: string };

interface Req {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  sse?: boolean;
}

const json = { 'content-type': 'application/json' };
const trpcGet = (proc: string, input?: unknown): Req => ({
  name: `tRPC ${proc}`,
  method: 'GET',
  path: `/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
});
const trpcPost = (proc: string, input: unknown): Req => ({ name: `tRPC ${proc}`, method: 'POST', path: `/api/trpc/${proc}`, headers: json, body: JSON.stringify(input) });

/** Every route and every procedure, with inputs that would succeed (or 4xx on their merits) once authorised. */
function everyRoute(): Req[] {
  const { character, image, job } = real;
  return [
    { name: 'info', method: 'GET', path: '/api/info' },
    { name: 'logs GET', method: 'GET', path: `/api/jobs/${job}/logs` },
    { name: 'logs HEAD', method: 'HEAD', path: `/api/jobs/${job}/logs` },
    { name: 'logs follow', method: 'GET', path: `/api/jobs/${job}/logs?follow=1` },
    { name: 'job file', method: 'GET', path: `/api/jobs/${job}/files/out_0.png` },
    { name: 'image GET', method: 'GET', path: `/api/characters/${character}/images/${image}` },
    { name: 'image POST', method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': MULTIPART }, body: multipart([{ filename: 'x.png', data: 'x' }]) },
    { name: 'unknown api path', method: 'GET', path: '/api/nothing-here' },
    { name: 'SSE subscription', method: 'GET', path: `/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId: job }))}`, headers: { accept: 'text/event-stream' }, sse: true },
    { name: 'tRPC batch', method: 'GET', path: `/api/trpc/system.info,jobs.list?batch=1&input=${encodeURIComponent('{"1":{}}')}` },
    trpcGet('system.info'),
    trpcGet('system.health'),
    trpcGet('characters.list'),
    trpcGet('characters.get', { id: character }),
    trpcPost('characters.create', { name: 'Auth', trigger_word: 'auth_person' }),
    trpcPost('characters.update', { id: character, name: 'Renamed' }),
    trpcPost('characters.setCaption', { id: character, image, caption: 'c' }),
    trpcPost('characters.deleteImage', { id: character, image: 'img-000000000000.png' }),
    trpcPost('characters.delete', { id: 'char-000000000000' }),
    trpcPost('training.start', { character_id: 'char-000000000000', config: {} }),
    trpcGet('training.list', {}),
    trpcGet('training.get', { id: 'training-000000000000' }),
    trpcPost('training.cancel', { id: 'training-000000000000' }),
    trpcPost('generation.start', { config: { prompt: 'auth' } }),
    trpcGet('generation.list', {}),
    trpcGet('generation.get', { id: job }),
    trpcPost('generation.cancel', { id: 'generation-000000000000' }),
    trpcGet('jobs.get', { id: job }),
    trpcGet('jobs.list', {}),
    trpcPost('jobs.cancel', { id: 'generation-000000000000' }),
    trpcGet('loras.list'),
    trpcGet('loras.get', { id: 'lora-000000000000' }),
    trpcPost('loras.delete', { id: 'lora-000000000000' }),
  ];
}

function send(r: Req, extra: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(stack.url, {
    method: r.method,
    path: r.path,
    headers: { ...r.headers, ...extra },
    body: r.body,
    // Streams (SSE, log follow) stay open: judge them by what arrives first.
    until: r.sse ? (t) => (t.match(/\n\n/g)?.length ?? 0) >= 2 : r.path.includes('follow=1') ? (t) => t.includes('\n') : undefined,
  });
}

function expect401(res: RawResponse, what: string): void {
  expect(res.status, what).toBe(401);
  if (res.text) expect(JSON.parse(res.text), what).toEqual({ error: UNAUTHORIZED });
  expect(res.text.includes(TOKEN), what).toBe(false);
  expect(res.headers['set-cookie'], what).toBeUndefined();
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-auth-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, ISENGARD_API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000' } });
  const { services } = stack.api;
  const character = (await services.characters.create({ name: 'Auth', trigger_word: 'auth_person' })).id;
  const up = await rawRequest(stack.url, {
    method: 'POST',
    path: `/api/characters/${character}/images`,
    headers: { ...BEARER, 'content-type': MULTIPART },
    body: multipart([{ filename: 'p.png', data: await pngOf(300, 300) }]),
  });
  expect(up.status).toBe(200);
  const image = (JSON.parse(up.text) as { uploaded: { name: string }[] }).uploaded[0]!.name;
  const job = (await services.generation.start({ config: { prompt: 'auth' }, count: 1 })).id;
  real = { character, image, job };
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

describe('with ISENGARD_API_TOKEN set', () => {
  it('/api/health answers without a token', async () => {
    const res = await rawRequest(stack.url, { path: '/api/health' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'ok' });
  });

  it('every other /api route and every procedure is 401 without a token', async () => {
    for (const r of everyRoute()) expect401(await send(r), r.name);
  });

  it('a wrong token of the same length, of another length, empty, or in the wrong scheme is 401', async () => {
    const wrong = [
      `Bearer ${TOKEN.slice(0, -1)}${TOKEN.endsWith('Z') ? 'Y' : 'Z'}`,
      `Bearer ${TOKEN.slice(0, 16)}`,
      `Bearer ${TOKEN}${TOKEN}`,
      `Bearer ${TOKEN} x`,
      'Bearer ',
      `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}`,
      TOKEN,
    ];
    for (const r of everyRoute()) {
      for (const authorization of wrong) expect401(await send(r, { authorization }), `${r.name} with ${authorization.slice(0, 12)}…`);
      expect401(await send(r, { cookie: `isengard_session=${TOKEN.slice(1)}` }), `${r.name} with a wrong cookie`);
    }
  });

  it('with Authorization: Bearer <token> every route works', async () => {
    for (const r of everyRoute()) {
      const res = await send(r, BEARER);
      expect(res.status, `${r.name}: ${res.text.slice(0, 200)}`).not.toBe(401);
      expect(res.status, `${r.name}: ${res.text.slice(0, 200)}`).toBeLessThan(500);
    }
    const info = await send(everyRoute().find((r) => r.name === 'info')!, BEARER);
    expect(JSON.parse(info.text)).toMatchObject({ name: 'Isengard API' });
    const logs = await send(everyRoute().find((r) => r.name === 'logs GET')!, BEARER);
    expect([logs.status, logs.headers['content-type']]).toEqual([200, 'application/x-ndjson']);
    const image = await send(everyRoute().find((r) => r.name === 'image GET')!, BEARER);
    expect([image.status, image.headers['content-type']]).toEqual([200, 'image/png']);
    const sse = await send(everyRoute().find((r) => r.sse)!, BEARER);
    expect(sse.status).toBe(200);
    expect(sse.text).toContain(`"id":"${real.job}"`);
  });

  it('POST /api/session with the token sets an HttpOnly SameSite=Strict cookie that works for GET, SSE and uploads', async () => {
    const res = await rawRequest(stack.url, { method: 'POST', path: '/api/session', headers: json, body: JSON.stringify({ token: TOKEN }) });
    expect(res.status).toBe(200);
    const setCookie = res.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^isengard_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie.includes(TOKEN)).toBe(false);
    expect(setCookie).toMatch(/;\s*HttpOnly/i);
    expect(setCookie).toMatch(/;\s*SameSite=Strict/i);
    expect(setCookie).toMatch(/;\s*Path=\/api(;|$)/);
    const cookie = setCookie.split(';')[0]!;
    const info = await rawRequest(stack.url, { path: '/api/info', headers: { cookie } });
    expect(info.status).toBe(200);
    const query = await rawRequest(stack.url, { path: `/api/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: real.job }))}`, headers: { cookie: `other=1; ${cookie}; x=y` } });
    expect(query.status).toBe(200);
    const sse = await send(everyRoute().find((r) => r.sse)!, { cookie });
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/text\/event-stream/);
    expect(sse.text).toContain(`"id":"${real.job}"`);
    const upload = await send(everyRoute().find((r) => r.name === 'image POST')!, { cookie, 'x-isengard-client': 'web' });
    expect(upload.status).toBe(200);
  });

  it('a wrong session token is 401 and sets no cookie', async () => {
    for (const body of [{ token: TOKEN.slice(0, -1) + '!' }, { token: TOKEN.slice(0, 20) }, { token: '' }, { token: 42 }, { token: [TOKEN] }, {}, null]) {
      const res = await rawRequest(stack.url, { method: 'POST', path: '/api/session', headers: json, body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(401);
      expect(res.headers['set-cookie'], JSON.stringify(body)).toBeUndefined();
      expect(res.text.includes(TOKEN)).toBe(false);
    }
  });

  it('unauthorised requests change nothing', async () => {
    const before = (await stack.api.services.characters.list()).length;
    for (const r of everyRoute().filter((x) => x.method === 'POST')) await send(r);
    expect((await stack.api.services.characters.list()).length).toBe(before);
    expect((await stack.api.services.characters.get(real.character)).images.map((i) => i.name)).toContain(real.image);
  });

  it('the SPA itself stays public (it has to load to show the login)', async () => {
    const res = await rawRequest(stack.url, { path: '/characters' });
    expect(res.status).not.toBe(401);
  });
});
