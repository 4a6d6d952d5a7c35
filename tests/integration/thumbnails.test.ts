/** Thumbnails over HTTP: `?w=` on character images and job files, ETag + long caching, 304, single render. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngOf, upload } from '../helpers/fixtures.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let characterId: string;
let image: string;

beforeAll(async () => {
  stack = await startStack();
  characterId = (await stack.call<{ id: string }>('characters.create', { name: 'Thumb', trigger_word: 'thumb_person' })).body.id;
  const res = await upload(stack.url, characterId, [{ name: 'big.png', data: await pngOf(1200, 1600) }]);
  image = res.body.uploaded[0]!.name;
});
afterAll(async () => stack?.stop());

const imageUrl = (w?: string) => `${stack.url}/api/characters/${characterId}/images/${image}${w ? `?w=${w}` : ''}`;

describe('character photo thumbnails', () => {
  it('?w=256 is a 256 px WebP with an ETag and a year of caching; If-None-Match answers 304', async () => {
    const res = await fetch(imageUrl('256'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(res.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"w256-/);
    const body = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 341]);
    const original = await fetch(imageUrl());
    expect(body.length).toBeLessThan(Buffer.from(await original.arrayBuffer()).length / 4);

    const again = await fetch(imageUrl('256'), { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    expect((await fetch(imageUrl('768'), { headers: { 'if-none-match': etag! } })).status).toBe(200);
  });

  it('concurrent first requests make one render; the thumbnail is cached on the volume', async () => {
    const before = stack.api.services.thumbnails.renders;
    const all = await Promise.all(Array.from({ length: 8 }, () => fetch(imageUrl('768')).then(async (r) => [r.status, (await r.arrayBuffer()).byteLength])));
    expect(new Set(all.map(([s]) => s))).toEqual(new Set([200]));
    expect(stack.api.services.thumbnails.renders - before).toBeLessThanOrEqual(1);
    const cached = path.join(stack.volume, 'cache', 'thumbnails', 'characters', characterId, `${image}.768.webp`);
    expect(fs.existsSync(cached)).toBe(true);
  });

  it('a photo that is a link out of the volume gets no thumbnail (404), and nothing is rendered', async () => {
    const outside = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'isengard-outside-')), 'secret.png');
    fs.writeFileSync(outside, await pngOf(600, 600));
    const link = 'img-00000000beef.png';
    fs.symlinkSync(outside, path.join(stack.api.infra.characters.imagesDir(characterId), link));
    const before = stack.api.services.thumbnails.renders;
    const res = await fetch(`${stack.url}/api/characters/${characterId}/images/${link}?w=256`);
    expect(res.status).toBe(404);
    expect(stack.api.services.thumbnails.renders).toBe(before);
  });

  it('bad widths and missing images are clear 4xx', async () => {
    const bad = await fetch(imageUrl('300'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe("Parameter 'w' must be one of 256, 768");
    const missing = await fetch(`${stack.url}/api/characters/${characterId}/images/img-000000000000.png?w=256`);
    expect(missing.status).toBe(404);
  });
});

describe('job image thumbnails', () => {
  it('a job output gets a thumbnail too', async () => {
    const id = 'generation-0000000000aa';
    const dir = stack.api.infra.paths.outputsDir(id);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'out_0.png'), await pngOf(1024, 1024));
    const res = await fetch(`${stack.url}/api/jobs/${id}/files/out_0.png?w=256`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect((await sharp(Buffer.from(await res.arrayBuffer())).metadata()).width).toBe(256);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'text');
    expect((await fetch(`${stack.url}/api/jobs/${id}/files/notes.txt?w=256`)).status).toBe(400);
  });
});
