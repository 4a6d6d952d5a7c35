/**
 * Failed authentication has a budget of its own (RATE_LIMIT_AUTH_FAILURES_PER_MINUTE), separate
 * from changes, and every failure counts, whatever the route. The client is the TCP peer unless
 * TRUST_PROXY says otherwise, so a rotating X-Forwarded-For buys nothing. Each test is its own
 * client: its own loopback source address (127.0.0.N).
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, sleep, volumeSandbox, type RawResponse } from './support.js';

const TOKEN = 'budget-token-0123456789abcdef';
const CHANGES = 5;
const FAILURES = 3;
let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let character: string;
let png: Buffer;
let clientNo = 10;
const newClient = () => `127.0.0.${++clientNo}`;
const json = { 'content-type': 'application/json' };

async function freshWindow(needMs = 8000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 100);
}

const login = (from: string, token: string) =>
  rawRequest(stack.url, { method: 'POST', path: '/api/session', headers: json, body: JSON.stringify({ token }), localAddress: from });
const create = (from: string, headers: Record<string, string>, n = 0) =>
  rawRequest(stack.url, { method: 'POST', path: '/api/trpc/characters.create', headers: { ...json, ...headers }, body: JSON.stringify({ name: `Budget ${n}`, trigger_word: 'budget_person' }), localAddress: from });
const upload = (from: string, headers: Record<string, string>) =>
  rawRequest(stack.url, { method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': MULTIPART, ...headers }, body: multipart([{ filename: 'p.png', data: png }]), localAddress: from });

function expectFailure429(res: RawResponse, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(429);
  expect(res.headers['retry-after'], what).toMatch(/^\d+$/);
  const body = JSON.parse(res.text) as { error: string | { message: string } };
  const message = typeof body.error === 'string' ? body.error : body.error.message;
  expect(message, what).toMatch(new RegExp(`^Too many failed authentications: at most ${FAILURES} per minute; retry in \\d+ s$`));
}

async function sessionCookie(from: string): Promise<string> {
  const res = await login(from, TOKEN);
  expect(res.status).toBe(200);
  return res.headers['set-cookie']![0]!.split(';')[0]!;
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-budget-');
  stack = await startStack({
    env: { VOLUME_ROOT: sandbox.volume, ISENGARD_API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: String(CHANGES), RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: String(FAILURES) },
  });
  character = (await stack.api.services.characters.create({ name: 'Budget', trigger_word: 'budget_person' })).id;
  png = await pngOf(300, 300);
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

describe('failed authentication has its own budget', () => {
  it('wrong logins end in 429 without touching the changes budget of the real token holder at the same address', async () => {
    await freshWindow();
    const shared = newClient();
    const cookie = await sessionCookie(shared); // the real user, logged in before the flood
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await login(shared, 'x')).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    expectFailure429(await login(shared, 'x'), 'another guess');
    // Past the limit even the right token is not judged: guessing stops here.
    expectFailure429(await login(shared, TOKEN), 'the right token past the limit');
    // The open session keeps its full budget of changes.
    const session = { cookie, 'x-isengard-client': 'web' };
    expect((await create(shared, session, 1)).status).toBe(200);
    expect((await upload(shared, session)).status).toBe(200);
    for (let i = 2; i < CHANGES; i++) expect((await create(shared, session, i)).status).toBe(200);
    const sixth = await create(shared, session, 6);
    expect(sixth.status).toBe(429);
    expect(sixth.text).toContain(`at most ${CHANGES} changes per minute`);
  });

  it('a wrong Bearer token counts on every route, not only at /api/session', async () => {
    await freshWindow();
    const from = newClient();
    const bad = { authorization: 'Bearer wrong-token-wrong-token' };
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES + 2; i++) statuses.push((await rawRequest(stack.url, { path: '/api/info', headers: bad, localAddress: from })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expectFailure429(await rawRequest(stack.url, { path: '/api/trpc/characters.list', headers: bad, localAddress: from }), 'tRPC query');
    // The right Bearer token from that address waits too, until the minute is over.
    expectFailure429(await rawRequest(stack.url, { path: '/api/info', headers: { authorization: `Bearer ${TOKEN}` }, localAddress: from }), 'right token');
    // Another client is unaffected.
    expect((await rawRequest(stack.url, { path: '/api/info', headers: { authorization: `Bearer ${TOKEN}` }, localAddress: newClient() })).status).toBe(200);
  });

  it('wrong or missing cookies on changes count as well', async () => {
    await freshWindow();
    const from = newClient();
    const statuses: number[] = [];
    for (let i = 0; i < FAILURES; i++) statuses.push((await create(from, { cookie: 'isengard_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' })).status);
    statuses.push((await upload(from, {})).status);
    statuses.push((await rawRequest(stack.url, { path: '/api/jobs/generation-000000000000/logs', localAddress: from })).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('X-Forwarded-For from the client is ignored while TRUST_PROXY is off: rotating it does not reset the budget', async () => {
    await freshWindow();
    const from = newClient();
    const statuses: number[] = [];
    for (let i = 1; i <= FAILURES + 2; i++) {
      statuses.push((await rawRequest(stack.url, { path: '/api/info', headers: { 'x-forwarded-for': `203.0.113.${i}` }, localAddress: from })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const changes: number[] = [];
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const other = newClient();
    for (let i = 1; i <= CHANGES + 2; i++) changes.push((await create(other, { ...bearer, 'x-forwarded-for': `203.0.113.${i}` }, i)).status);
    expect(changes).toEqual([200, 200, 200, 200, 200, 429, 429]);
  });
});

describe('authentication details', () => {
  it('the Bearer scheme is case-insensitive', async () => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const res = await rawRequest(stack.url, { path: '/api/info', headers: { authorization: `${scheme} ${TOKEN}` }, localAddress: newClient() });
      expect(res.status, scheme).toBe(200);
    }
  });

  it('authenticated API answers are never cached', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const path of ['/api/info', '/api/trpc/characters.list', `/api/characters/${character}/images/img-000000000000.png`]) {
      const res = await rawRequest(stack.url, { path, headers: bearer, localAddress: newClient() });
      expect(res.headers['cache-control'], path).toBe('no-store');
    }
    const up = JSON.parse((await upload(newClient(), bearer)).text) as { uploaded: { name: string }[] };
    const image = await rawRequest(stack.url, { path: `/api/characters/${character}/images/${up.uploaded[0]!.name}`, headers: bearer, localAddress: newClient() });
    expect([image.status, image.headers['cache-control']]).toEqual([200, 'no-store']);
  });

  it('after answering 401 the server stops reading the body and closes the connection', async () => {
    const port = Number(new URL(stack.url).port);
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: newClient() });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const declared = 200 * 1024 * 1024;
    socket.write(`POST /api/characters/${character}/images HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${MULTIPART}\r\nContent-Length: ${declared}\r\n\r\n`);
    let answer = '';
    let closed = false;
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => (closed = true));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    // Keep sending until the server hangs up: it must do so long before the declared body is through.
    while (!closed && sent < declared) {
      if (!socket.write(chunk)) await new Promise<void>((resolve) => { socket.once('drain', resolve); socket.once('close', resolve); });
      sent += chunk.length;
      if (sent % (4 * 1024 * 1024) === 0) await sleep(5);
    }
    socket.destroy();
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(sent).toBeLessThan(declared / 4);
  });
});
