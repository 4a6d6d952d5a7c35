/** The SPA's hashed files: answered from memory after the first read, with the same headers as from disk. */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/helpers/test-config.js';
import { createAssetCache } from './asset-cache.js';
import { sendError } from './respond.js';
import { createStaticRoute } from './static.route.js';

const dir = tempDir('isengard-static-');
const assets = path.join(dir, 'assets');
const ENTRY = 'export const answer = 42;\n';
let server: http.Server;
let base: string;

beforeAll(async () => {
  fs.mkdirSync(assets, { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<html><head></head><body></body></html>');
  fs.writeFileSync(path.join(assets, 'index-1.js'), ENTRY);
  fs.writeFileSync(path.join(assets, 'range-2.js'), ENTRY);
  const route = createStaticRoute(dir);
  server = http.createServer((req, res) => void route(req, res, new URL(req.url ?? '/', 'http://x').pathname).catch((err: unknown) => sendError(res, err)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('hashed assets', () => {
  it('answer with the bytes, length and immutable caching, then keep answering from memory', async () => {
    const first = await fetch(`${base}/assets/index-1.js`);
    expect(first.status).toBe(200);
    expect(await first.text()).toBe(ENTRY);
    expect(first.headers.get('content-length')).toBe(String(Buffer.byteLength(ENTRY)));
    expect(first.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('last-modified')).toBe(fs.statSync(path.join(assets, 'index-1.js')).mtime.toUTCString());

    fs.rmSync(path.join(assets, 'index-1.js')); // a hashed name's content never changes: no need to look again
    const again = await fetch(`${base}/assets/index-1.js`);
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(ENTRY);
    const head = await fetch(`${base}/assets/index-1.js`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(ENTRY)));
    expect(await head.text()).toBe('');
  });

  it('a Range request still gets its part, and a missing file is a 404', async () => {
    const part = await fetch(`${base}/assets/range-2.js`, { headers: { range: 'bytes=0-5' } });
    expect(part.status).toBe(206);
    expect(await part.text()).toBe(ENTRY.slice(0, 6));
    expect((await fetch(`${base}/assets/missing-3.js`)).status).toBe(404);
  });
});

describe('createAssetCache', () => {
  it('holds nothing past its bounds: a file too large is not read, and past the total each read is fresh', async () => {
    const file = path.join(assets, 'bounded.js');
    fs.writeFileSync(file, 'x'.repeat(100));
    expect(await createAssetCache({ maxFileBytes: 99 }).get(file)).toBeNull();
    const small = createAssetCache({ maxTotalBytes: 99 });
    expect((await small.get(file))?.body.length).toBe(100);
    fs.writeFileSync(file, 'y'.repeat(100));
    expect((await small.get(file))?.body.toString()).toBe('y'.repeat(100));
    expect(await small.get(assets)).toBeNull(); // a directory
  });
});
