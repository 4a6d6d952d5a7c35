/**
 * Browser sessions: POST /api/session hands out a random id (never the token) kept in Redis with
 * an idle expiry renewed by every use; DELETE /api/session ends it; changing ISENGARD_API_TOKEN
 * ends every session.
 */
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/server/api-server.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { silentLogger, testConfig } from '../helpers/test-config.js';
import { rawRequest, sleep, volumeSandbox } from './support.js';

const TOKEN = 'session-token-0123456789abcdef';
const json = { 'content-type': 'application/json' };
let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let redis: Redis;

const login = (base = stack.url) => rawRequest(base, { method: 'POST', path: '/api/session', headers: json, body: JSON.stringify({ token: TOKEN }) });
const info = (cookie: string, base = stack.url) => rawRequest(base, { path: '/api/info', headers: { cookie } });
const sessionKey = (cookie: string) => `isengard:session:${createHash('sha256').update(cookie.split('=')[1]!).digest('hex')}`;

async function open(base = stack.url): Promise<string> {
  const res = await login(base);
  expect(res.status).toBe(200);
  return res.headers['set-cookie']![0]!.split(';')[0]!;
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-session-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, ISENGARD_API_TOKEN: TOKEN, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000', SESSION_IDLE_MINUTES: '30' } });
  redis = new Redis(stack.redis.url);
});

afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
  sandbox?.remove();
});

describe('sessions', () => {
  it('the cookie holds a random session id, never the token, and the token itself is no cookie', async () => {
    const a = await open();
    const b = await open();
    expect(a).toMatch(/^isengard_session=[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(a.includes(TOKEN)).toBe(false);
    expect((await info(a)).status).toBe(200);
    for (const cookie of [`isengard_token=${TOKEN}`, `isengard_session=${TOKEN}`, `isengard_session=${encodeURIComponent(TOKEN)}`]) {
      expect((await info(cookie)).status, cookie).toBe(401);
    }
  });

  it('DELETE /api/session ends the session and clears the cookie', async () => {
    const cookie = await open();
    expect((await info(cookie)).status).toBe(200);
    const out = await rawRequest(stack.url, { method: 'DELETE', path: '/api/session', headers: { cookie, origin: stack.url } });
    expect(out.status).toBe(200);
    expect(out.headers['set-cookie']?.[0]).toMatch(/^isengard_session=;.*Max-Age=0/);
    expect((await info(cookie)).status).toBe(401);
    expect(await redis.exists(sessionKey(cookie))).toBe(0);
  });

  it('GET /api/session tells the SPA whether it must ask for the token', async () => {
    const probe = async (cookie?: string) => JSON.parse((await rawRequest(stack.url, { path: '/api/session', headers: cookie ? { cookie } : {} })).text) as unknown;
    expect(await probe()).toEqual({ auth: true, authenticated: false });
    const cookie = await open();
    expect(await probe(cookie)).toEqual({ auth: true, authenticated: true });
    await rawRequest(stack.url, { method: 'DELETE', path: '/api/session', headers: { cookie, 'x-isengard-client': 'web' } });
    expect(await probe(cookie)).toEqual({ auth: true, authenticated: false });
  });

  it('a session expires when idle, and every use pushes the expiry back', async () => {
    const cookie = await open();
    const key = sessionKey(cookie);
    const idleMs = 30 * 60_000;
    expect(await redis.pttl(key)).toBeGreaterThan(idleMs - 60_000);
    await redis.pexpire(key, 5000);
    expect((await info(cookie)).status).toBe(200);
    expect(await redis.pttl(key)).toBeGreaterThan(idleMs - 60_000); // renewed
    await redis.pexpire(key, 30);
    await sleep(80);
    expect((await info(cookie)).status).toBe(401);
  });

  it('changing ISENGARD_API_TOKEN ends every session', async () => {
    const cookie = await open();
    const rotated = createApiServer(testConfig(stack.redis.url, sandbox.volume, { ISENGARD_API_TOKEN: 'a-brand-new-token-0123456789' }), silentLogger());
    await rotated.ready();
    await new Promise<void>((resolve) => rotated.server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(rotated.server.address() as AddressInfo).port}`;
      expect((await info(cookie, base)).status).toBe(401);
    } finally {
      await rotated.close(1000);
    }
    // The old session is gone for good, also back on a server with the old token.
    expect((await info(cookie)).status).toBe(401);
  });
});
