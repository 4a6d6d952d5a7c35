/**
 * Single tRPC calls are answered by src/server/http/trpc-plain-call.ts instead of tRPC's own
 * resolveResponse. Two HTTP servers on the same services and router, one with each, get the same
 * calls; every answer must match in status, headers and body (ids and times aside, which differ
 * between two creates by design).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestHandler } from '../../src/server/http/app.js';
import { useCaller } from '../helpers/caller.js';
import { silentLogger, testConfig } from '../helpers/test-config.js';

const LIMIT = 40;
const harness = useCaller({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
const servers: http.Server[] = [];
const base: Record<'single' | 'tRPC', string> = { single: '', tRPC: '' };

async function serve(singleCalls: boolean): Promise<string> {
  const api = harness.api;
  const handler = createRequestHandler({
    config: testConfig(harness.redis.url, harness.volume, { RATE_LIMIT_PER_MINUTE: String(LIMIT) }),
    services: api.services,
    router: api.router,
    clientDir: harness.volume,
    logger: silentLogger(),
    singleCalls,
  });
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  base.single = await serve(true);
  base.tRPC = await serve(false);
});
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

const COMPARED_HEADERS = ['content-type', 'vary', 'retry-after', 'content-length'];

/** Ids and times differ between two creates; everything else must not. */
function normalize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v, k)]));
  if (typeof value === 'string' && (/(^|_)id$/.test(key) || /_at$/.test(key))) return `<${key}>`;
  return value;
}

async function send(server: 'single' | 'tRPC', method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${base[server]}/api/trpc/${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* compared as text */
  }
  return { status: res.status, headers: Object.fromEntries(COMPARED_HEADERS.map((h) => [h, res.headers.get(h) ?? undefined])), body: parsed };
}

async function both(method: 'GET' | 'POST', path: string, body?: string, opts: { ids?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
  const single = await send('single', method, path, body, opts.headers);
  const trpc = await send('tRPC', method, path, body, opts.headers);
  if (opts.ids) {
    // Lengths of ids and timestamps are fixed, so the byte counts still match.
    expect({ ...single, body: normalize(single.body) }).toEqual({ ...trpc, body: normalize(trpc.body) });
  } else {
    expect(single).toEqual(trpc);
  }
  return single;
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value));

describe('single tRPC calls answer exactly as resolveResponse does', () => {
  it('queries and mutations that succeed', async () => {
    const created = await both('POST', 'characters.create', JSON.stringify({ name: 'Ada', trigger_word: 'ada_person' }), { ids: true });
    expect(created.status).toBe(200);
    const id = (created.body as { result: { data: { id: string } } }).result.data.id;
    const got = await both('GET', `characters.get?input=${input({ id })}`);
    expect((got.body as { result: { data: { name: string } } }).result.data.name).toBe('Ada');
    await both('GET', 'characters.list');
    await both('GET', `jobs.list?input=${input({ limit: 5 })}`);
  });

  it('errors from validation, from services and from tRPC itself', async () => {
    const invalid = await both('POST', 'characters.create', JSON.stringify({ name: '', trigger_word: 'x y' }));
    expect(invalid.status).toBe(400);
    const missing = await both('GET', `characters.get?input=${input({ id: 'char-00000000dead' })}`);
    expect(missing.status).toBe(404);
    expect(JSON.stringify(missing.body)).toContain('char-00000000dead');
    expect((await both('POST', 'characters.create', '{"name": ')).status).toBe(400);
    expect((await both('POST', 'characters.create', '')).status).toBe(400);
    expect((await both('GET', 'characters.get?input=%7Bnot-json')).status).toBe(400);
    expect((await both('GET', 'characters.create')).status).toBe(405);
    expect((await both('POST', 'characters.list', '{}')).status).toBe(405);
    expect((await both('GET', 'characters.nope')).status).toBe(404);
    expect((await both('POST', 'characters.create,characters.create?batch=1', '{}')).status).toBeGreaterThanOrEqual(400);
    const batch = await both('GET', `characters.list,jobs.list?batch=1&input=${input({ 1: { limit: 1 } })}`);
    expect(batch.status).toBe(200);
    // A streamed (JSONL) answer asked for without a batch: tRPC refuses it.
    expect((await both('GET', 'characters.list', undefined, { headers: { accept: 'application/jsonl' } })).status).toBe(400);
  });

  it('the rate limit: 429 with Retry-After from responseMeta', async () => {
    const call = JSON.stringify({ id: 'char-00000000dead' });
    let spent = 0;
    while ((await send('single', 'POST', 'characters.delete', call)).status !== 429) expect(++spent).toBeLessThanOrEqual(LIMIT);
    const limited = await both('POST', 'characters.delete', call);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.stringify(limited.body)).toContain(`at most ${LIMIT} changes per minute`);
  });
});
