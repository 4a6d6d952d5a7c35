/**
 * POST /api/characters/:id/images: 50 × 5 MiB incompressible PNGs (one request per image, 4 in
 * flight) to the real API in its own process, against writing the same bytes to disk with
 * fs.promises.writeFile (4 in flight) in the same run. The API's RSS is sampled from /proc during
 * the uploads. Every image must be accepted and end up in the character.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { upload } from '../tests/helpers/fixtures.js';
import { registerCleanup } from './lib/cleanup.js';
import { JsonClient } from './lib/http.js';
import { RssSampler } from './lib/rss.js';
import { startBenchStack } from './lib/stack.js';
import { pool } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const MiB = 1024 * 1024;
const IMAGES = 50;
const CONCURRENCY = 4;
const TIME_LIMIT_MS = 90_000;

/** A 5 MiB (±1 %) PNG of random pixels: noise does not compress, so the file stays the size of its pixels. */
async function noisePng(): Promise<Buffer> {
  const make = (side: number) =>
    sharp(randomBytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .png({ compressionLevel: 1 })
      .toBuffer();
  const first = await make(1300);
  // PNG overhead on noise is a near-constant factor: one correction lands on the target.
  return make(Math.round(1300 * Math.sqrt((5 * MiB) / first.length)));
}

export async function run(): Promise<BenchResult[]> {
  const png = await noisePng();
  const stack = await startBenchStack();
  const rawDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-upload-raw-'));
  const rmRaw = registerCleanup(() => fs.rmSync(rawDir, { recursive: true, force: true }));
  const client = new JsonClient(stack.url, 4);
  try {
    const { body: character } = await client.mutate<{ id: string }>('characters.create', { name: 'Bench', trigger_word: 'bench_person' });
    const { body: warm } = await client.mutate<{ id: string }>('characters.create', { name: 'Warm', trigger_word: 'warm_person' });
    const send = async (characterId: string, i: number) => {
      const res = await upload(stack.url, characterId, [{ name: `noise${i}.png`, data: png }]);
      if (res.status !== 200 || res.body.uploaded.length !== 1) throw new Error(`upload ${i}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    };
    await pool(4, 2, (i) => send(warm.id, i)); // warm-up: busboy, sharp, fs paths

    const rss = new RssSampler(stack.api.child.pid!);
    let t0 = performance.now();
    const sent = await pool(IMAGES, CONCURRENCY, (i) => send(character.id, i), Date.now() + TIME_LIMIT_MS);
    const apiMs = performance.now() - t0;
    const mem = rss.stop();
    const stored = await client.query<{ images: unknown[] }>('characters.get', { id: character.id });

    await pool(4, 2, async (i) => fs.promises.writeFile(path.join(rawDir, `warm${i}.png`), png));
    t0 = performance.now();
    await pool(IMAGES, CONCURRENCY, async (i) => fs.promises.writeFile(path.join(rawDir, `img${i}.png`), png));
    const rawMs = performance.now() - t0;

    const mib = (png.length * sent) / MiB;
    const ours = mib / (apiMs / 1000);
    const base = (png.length * IMAGES) / MiB / (rawMs / 1000);
    return [
      {
        name: 'upload_throughput',
        baseline: round(base),
        value: round(ours),
        ratio: ratioOf(ours, base),
        unit: 'MiB/s',
        notes:
          `${sent} × ${round(png.length / MiB, 2)} MiB noise PNG, 1 image per multipart request, ${CONCURRENCY} in flight (fetch + FormData); ` +
          `${stored.images.length} stored; ours = stream to disk + sharp metadata + full decode + rename + caption; baseline = fs.promises.writeFile of the same bytes`,
      },
      {
        name: 'upload_api_rss_growth',
        baseline: round(mib),
        value: round(mem.growthMb),
        ratio: ratioOf(mem.growthMb, mib),
        unit: 'MiB',
        notes: `API process peak RSS − RSS before the uploads (${round(mem.startMb)} → ${round(mem.peakMb)} MiB, end ${round(mem.endMb)}); baseline = bytes uploaded (ratio ≪ 1 = streamed)`,
      },
    ];
  } finally {
    client.close();
    await rmRaw();
    await stack.stop();
  }
}
