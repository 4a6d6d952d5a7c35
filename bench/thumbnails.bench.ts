/**
 * Thumbnails against the API as its own process:
 *  - bytes the Characters page downloads for one character with 50 phone photos of ~5 MB: the
 *    originals (what it fetched before) vs the 256 px WebP thumbnails it asks for now, fetched
 *    from the same URLs the SPA builds;
 *  - time for a thumbnail the first time (sharp render, cached on the volume) vs once cached.
 * Photos are written straight onto the volume and registered in character.json (the upload
 * route is measured by upload.bench.ts).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { Character } from '../src/shared/characters.js';
import { CharacterStore } from '../src/shared/node/character-store.js';
import { VolumePaths } from '../src/shared/node/volume.js';
import { JsonClient } from './lib/http.js';
import { startBenchStack } from './lib/stack.js';
import { median } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const PHOTOS = 50;
const TARGET_BYTES = 5 * 1024 * 1024;

/**
 * A phone-like JPEG of about 5 MB: 12 MP of sensor-like fine noise over coarse structure (which
 * survives downscaling the way a real scene does, so the thumbnail is not a flat grey).
 */
async function phonePhoto(file: string): Promise<{ width: number; height: number; bytes: number }> {
  const width = 4032;
  const height = 3024;
  const blank = { r: 0, g: 0, b: 0 };
  const coarse = await sharp({ create: { width: 252, height: 189, channels: 3, background: blank, noise: { type: 'gaussian', mean: 128, sigma: 70 } } }).png().toBuffer();
  const scene = await sharp(coarse).resize(width, height, { kernel: 'cubic' }).ensureAlpha(0.6).png().toBuffer();
  for (const quality of [95, 93, 90, 85, 80]) {
    await sharp({ create: { width, height, channels: 3, background: blank, noise: { type: 'gaussian', mean: 128, sigma: 22 } } })
      .composite([{ input: scene }])
      .jpeg({ quality })
      .toFile(file);
    const bytes = fs.statSync(file).size;
    if (bytes <= TARGET_BYTES * 1.1) return { width, height, bytes };
  }
  return { width, height, bytes: fs.statSync(file).size };
}

function get(base: string, agent: http.Agent, urlPath: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: number; ms: number; etag?: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${urlPath}`, { agent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started, etag: res.headers.etag }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

export async function run(): Promise<BenchResult[]> {
  const stack = await startBenchStack();
  const client = new JsonClient(stack.url, 1);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  try {
    const created = (await client.mutate<Character>('characters.create', { name: 'Bench', trigger_word: 'ohwx_bench' })).body;
    const store = new CharacterStore(new VolumePaths(stack.volume));
    const dir = store.imagesDir(created.id);
    fs.mkdirSync(dir, { recursive: true });
    const first = path.join(dir, 'img-000000000000.jpg');
    const photo = await phonePhoto(first);
    const names = Array.from({ length: PHOTOS }, (_, i) => `img-${i.toString(16).padStart(12, '0')}.jpg`);
    for (const name of names.slice(1)) fs.copyFileSync(first, path.join(dir, name));
    await store.mutate(created.id, (c) => ({ ...c, images: names.map((name) => ({ name, width: photo.width, height: photo.height, caption: 'ohwx_bench' })) }));

    // The SPA's URLs: the tile is ?w=256, the original opens on click.
    const url = (name: string, w?: number) => `/api/characters/${created.id}/images/${name}${w ? `?w=${w}` : ''}`;
    let originals = 0;
    for (const name of names) originals += (await get(stack.url, agent, url(name))).bytes;
    const firstMs: number[] = [];
    const cachedMs: number[] = [];
    const revalidateMs: number[] = [];
    let thumbs = 0;
    for (const name of names) {
      const r = await get(stack.url, agent, url(name, 256));
      if (r.status !== 200) throw new Error(`thumbnail → ${r.status}`);
      firstMs.push(r.ms);
      thumbs += r.bytes;
    }
    for (const name of names) {
      const r = await get(stack.url, agent, url(name, 256));
      cachedMs.push(r.ms);
      const again = await get(stack.url, agent, url(name, 256), { 'if-none-match': r.etag ?? '' });
      if (again.status !== 304) throw new Error(`revalidation → ${again.status}`);
      revalidateMs.push(again.ms);
    }
    return [
      {
        name: 'characters_page_bytes',
        baseline: originals,
        value: thumbs,
        ratio: ratioOf(thumbs, originals, 5),
        unit: 'bytes',
        notes: `image bytes for one character with ${PHOTOS} photos of ${round(photo.bytes / 2 ** 20, 2)} MiB (${photo.width}×${photo.height} JPEG): 256 px WebP thumbnails (what the Characters page loads now) vs the originals (what it loaded before)`,
      },
      {
        name: 'thumbnail_first_and_cached_ms',
        baseline: round(median(cachedMs), 2),
        value: round(median(firstMs), 2),
        ratio: ratioOf(median(firstMs), median(cachedMs)),
        unit: 'ms',
        notes: `median over ${PHOTOS} photos: first request (sharp render of a ${photo.width}×${photo.height} JPEG to 256 px WebP, written to the volume) vs the same thumbnail again (served from the volume); If-None-Match revalidation (304, no body) median ${round(median(revalidateMs), 2)} ms`,
      },
    ];
  } finally {
    agent.destroy();
    client.close();
    await stack.stop();
  }
}
