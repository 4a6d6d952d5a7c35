/**
 * DNS rebinding and cross-site requests. With no token (the default for local use) a page the
 * user visits could rebind its own name to 127.0.0.1 and drive the API: only Host names this
 * server is meant to have are answered. A change from another site (Origin) is refused, and a
 * change relying on the session cookie needs a matching Origin or the X-Isengard-Client header.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, volumeSandbox } from './support.js';

const json = { 'content-type': 'application/json' };
let open: Stack; // no token, default HOST
let pod: Stack; // HOST=0.0.0.0 with ISENGARD_ALLOWED_HOSTS, a token
let sandboxes: ReturnType<typeof volumeSandbox>[] = [];
let character: string;
let png: Buffer;
const TOKEN = 'origin-token-0123456789abcdef';

const port = (s: Stack) => new URL(s.url).port;
const create = (s: Stack, headers: Record<string, string>, name = 'Rebind') =>
  rawRequest(s.url, { method: 'POST', path: '/api/trpc/characters.create', headers: { ...json, ...headers }, body: JSON.stringify({ name, trigger_word: 'rebind_person' }) });
const upload = (s: Stack, id: string, headers: Record<string, string>) =>
  rawRequest(s.url, { method: 'POST', path: `/api/characters/${id}/images`, headers: { 'content-type': MULTIPART, ...headers }, body: multipart([{ filename: 'p.png', data: png }]) });

beforeAll(async () => {
  const a = volumeSandbox('isengard-sec-host-');
  const b = volumeSandbox('isengard-sec-host-');
  sandboxes = [a, b];
  open = await startStack({ env: { VOLUME_ROOT: a.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
  pod = await startStack({
    env: { VOLUME_ROOT: b.volume, HOST: '0.0.0.0', ISENGARD_ALLOWED_HOSTS: 'abc123-8000.proxy.runpod.net,*.studio.example', ISENGARD_API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '100000' },
  });
  character = (await open.api.services.characters.create({ name: 'Origin', trigger_word: 'origin_person' })).id;
  png = await pngOf(300, 300);
});

afterAll(async () => {
  await open?.stop();
  await pod?.stop();
  for (const s of sandboxes) s.remove();
});

describe('Host check (DNS rebinding)', () => {
  it('a foreign Host is refused with 403 and a sentence saying how to allow it; nothing is created', async () => {
    const host = `rebind.attacker.example:${port(open)}`;
    const res = await create(open, { host });
    expect(res.status).toBe(403);
    const message = (JSON.parse(res.text) as { error: string }).error;
    expect(message).toContain("Host 'rebind.attacker.example' is not allowed");
    expect(message).toContain('ISENGARD_ALLOWED_HOSTS=rebind.attacker.example');
    for (const p of ['/api/trpc/characters.list', '/api/info', '/characters', `/api/characters/${character}/images`]) {
      expect((await rawRequest(open.url, { path: p, headers: { host } })).status, p).toBe(403);
    }
    expect((await open.api.services.characters.list()).map((c) => c.name)).not.toContain('Rebind');
  });

  it('loopback names and IP addresses keep working; health answers any Host', async () => {
    for (const host of [`127.0.0.1:${port(open)}`, `localhost:${port(open)}`, `LOCALHOST.:${port(open)}`, 'app.localhost', `[::1]:${port(open)}`, '192.168.1.20:8000', '[fd00::5]']) {
      expect((await rawRequest(open.url, { path: '/api/info', headers: { host } })).status, host).toBe(200);
    }
    expect((await rawRequest(open.url, { path: '/api/health', headers: { host: 'lb-probe.internal' } })).status).toBe(200);
  });

  it('HOST=0.0.0.0 answers the names in ISENGARD_ALLOWED_HOSTS (exact or *.suffix) and no others', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const host of ['abc123-8000.proxy.runpod.net', 'ABC123-8000.proxy.runpod.net:443', 'a.studio.example', 'x.y.studio.example']) {
      expect((await rawRequest(pod.url, { path: '/api/info', headers: { ...bearer, host } })).status, host).toBe(200);
    }
    for (const host of ['studio.example', 'evilstudio.example', 'abc124-8000.proxy.runpod.net', '0.0.0.0.attacker.example']) {
      expect((await rawRequest(pod.url, { path: '/api/info', headers: { ...bearer, host } })).status, host).toBe(403);
    }
  });
});

describe('Origin check (cross-site changes)', () => {
  it('a cross-site upload is refused and stores nothing; the same site is fine', async () => {
    const imagesDir = path.join(sandboxes[0]!.volume, 'characters', character, 'images');
    const before = fs.existsSync(imagesDir) ? fs.readdirSync(imagesDir).length : 0;
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${Number(port(open)) + 1}`]) {
      const res = await upload(open, character, { origin });
      expect(res.status, origin).toBe(403);
      expect(res.text).toContain('Cross-site request refused');
    }
    expect(fs.existsSync(imagesDir) ? fs.readdirSync(imagesDir).length : 0).toBe(before);
    expect((await upload(open, character, { origin: open.url })).status).toBe(200);
    expect((await upload(open, character, {})).status).toBe(200); // no browser, no ambient credentials
  });

  it('a cross-site tRPC change is refused; queries are not changes', async () => {
    expect((await create(open, { origin: 'https://evil.example' }, 'Cross')).status).toBe(403);
    expect((await open.api.services.characters.list()).map((c) => c.name)).not.toContain('Cross');
    expect((await rawRequest(open.url, { path: '/api/trpc/characters.list', headers: { origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('with a session cookie a change needs a matching Origin or X-Isengard-Client; Bearer callers need neither', async () => {
    const host = 'abc123-8000.proxy.runpod.net';
    const login = await rawRequest(pod.url, { method: 'POST', path: '/api/session', headers: { ...json, host, origin: `https://${host}` }, body: JSON.stringify({ token: TOKEN }) });
    expect(login.status).toBe(200);
    const cookie = login.headers['set-cookie']![0]!.split(';')[0]!;
    expect((await create(pod, { cookie, host })).status).toBe(403);
    expect((await create(pod, { cookie, host, origin: 'https://evil.example' })).status).toBe(403);
    expect((await create(pod, { cookie, host, origin: `https://${host}` })).status).toBe(200);
    expect((await create(pod, { cookie, host, 'x-isengard-client': 'web' })).status).toBe(200);
    expect((await create(pod, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    // A login form posted from another site does not even get a session.
    const foreign = await rawRequest(pod.url, { method: 'POST', path: '/api/session', headers: { ...json, origin: 'https://evil.example' }, body: JSON.stringify({ token: TOKEN }) });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
  });
});

describe('security headers', () => {
  it('every answer, the SPA included, forbids framing and sniffing and carries a CSP and Referrer-Policy', async () => {
    for (const p of ['/', '/characters', '/api/info', '/api/health']) {
      const res = await rawRequest(open.url, { path: p });
      expect(res.headers['x-frame-options'], p).toBe('DENY');
      expect(res.headers['x-content-type-options'], p).toBe('nosniff');
      expect(res.headers['referrer-policy'], p).toBe('no-referrer');
      expect(res.headers['content-security-policy'], p).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    }
  });
});
