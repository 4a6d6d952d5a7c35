/**
 * Archived job history (JOB_RETENTION_DAYS, `jobs prune`): one month of 100,000 finished jobs in
 * its JSONL file, read the way the Jobs page reads it once Redis has no more (a page of 20 and
 * the page after it, per filter), in this process.
 *  - time: the worst filter's median against one bare streaming pass over the same file (the
 *    least any reader that does not hold the month in memory pays), same run;
 *  - memory: the heap a page grows by at its peak, against the size of the month file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobRecord } from '../src/shared/jobs.js';
import { JobArchive } from '../src/shared/node/job-archive.js';
import type { IndexFilter } from '../src/shared/node/job-index.js';
import { median } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const JOBS = Number(process.env.BENCH_ARCHIVE_JOBS ?? 100_000);
const RUNS = 5;
const CHARACTERS = Array.from({ length: 5 }, (_, i) => `char-${String(i).padStart(12, '0')}`);
const FILTERS: { name: string; filter: IndexFilter }[] = [
  { name: 'unfiltered', filter: {} },
  { name: 'status=failed', filter: { status: 'failed' } },
  { name: 'type=training', filter: { type: 'training' } },
  { name: 'character', filter: { characterId: CHARACTERS[0] } },
];

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A finished job as the API stores it (its full effective config), in the order prune appends them. */
function jobAt(i: number, epoch: number): JobRecord {
  const type = i % 5 === 0 ? 'training' : 'generation';
  const at = (ms: number) => new Date(epoch + i * 20_000 + ms).toISOString();
  const config =
    type === 'training'
      ? { steps: 1000, learning_rate: 0.0004, rank: 16, alpha: 16, resolution: [512, 768, 1024], batch_size: 1, sample_every: 250, save_every: 250, keep_checkpoints: 4, caption_dropout: 0.05, optimizer: 'adamw8bit', noise_scheduler: 'flowmatch', seed: i }
      : { prompt: `a portrait of ohwx_person ${i} by a window, soft light, 85mm`, negative_prompt: '', width: 1024, height: 1024, steps: 20, guidance: 3.5, sampler: 'euler', scheduler: 'simple', seed: i, batch_size: 1, upscale: false };
  return {
    id: `${type}-${i.toString(16).padStart(12, '0')}`,
    type,
    status: i % 10 === 3 ? 'failed' : 'completed',
    correlation_id: `corr-${i.toString(16).padStart(16, '0')}`,
    config,
    created_at: at(0),
    started_at: at(50),
    finished_at: at(9_000),
    progress: 1,
    outputs: [type === 'training' ? { kind: 'lora', name: `lora-${i}.safetensors`, step: 1000 } : { kind: 'image', name: `img-${i}.png`, width: 1024, height: 1024, seed: i }],
    attempts: 1,
    rev: 9,
    worker: 'gpu-0',
    ...(i % 10 === 3 ? { error: 'CUDA out of memory' } : { message: 'Done' }),
    ...(i % 4 === 0 ? { character_id: CHARACTERS[(i / 4) % CHARACTERS.length]! } : {}),
  };
}

async function bareScan(file: string): Promise<number> {
  const started = performance.now();
  let n = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity })) if (line) n++;
  if (n !== JOBS) throw new Error(`scan read ${n} lines`);
  return performance.now() - started;
}

/** Two pages (20, then the next 20) and the most the heap grew while reading them. */
async function twoPages(archive: JobArchive, filter: IndexFilter): Promise<{ ms: number; heap: number }> {
  gc();
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 1);
  const started = performance.now();
  try {
    const first = await archive.list(filter, null, 20);
    if (first.items.length !== 20 || !first.next) throw new Error(`short first page for ${JSON.stringify(filter)}`);
    const second = await archive.list(filter, first.next, 20);
    if (second.items.length !== 20) throw new Error(`short second page for ${JSON.stringify(filter)}`);
    return { ms: performance.now() - started, heap: Math.max(peak, process.memoryUsage().heapUsed) - base };
  } finally {
    clearInterval(sampler);
  }
}

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'isengard-archive-bench-'));
  try {
    const archive = new JobArchive(path.join(root, 'archive', 'jobs'));
    const epoch = Date.UTC(2026, 2, 1);
    for (let start = 0; start < JOBS; start += 5000) {
      await archive.append(Array.from({ length: Math.min(5000, JOBS - start) }, (_, k) => jobAt(start + k, epoch)));
    }
    const [month] = fs.readdirSync(archive.dir);
    const file = path.join(archive.dir, month!);
    const fileBytes = fs.statSync(file).size;
    if (fs.readdirSync(archive.dir).length !== 1) throw new Error('the bench month spilled into another month');

    const scans: number[] = [];
    const pages = new Map(FILTERS.map((f) => [f.name, [] as { ms: number; heap: number }[]]));
    await bareScan(file);
    await twoPages(archive, {});
    for (let r = 0; r < RUNS; r++) {
      scans.push(await bareScan(file));
      for (const f of FILTERS) pages.get(f.name)!.push(await twoPages(archive, f.filter));
    }
    const scan = median(scans);
    const ms = (name: string) => median(pages.get(name)!.map((p) => p.ms));
    const heap = (name: string) => Math.max(...pages.get(name)!.map((p) => p.heap));
    const worstMs = FILTERS.map((f) => f.name).sort((a, b) => ms(b) - ms(a))[0]!;
    const worstHeap = FILTERS.map((f) => f.name).sort((a, b) => heap(b) - heap(a))[0]!;
    const each = (fmt: (name: string) => string) => FILTERS.map((f) => `${f.name} ${fmt(f.name)}`).join('; ');
    const how = `${JOBS.toLocaleString('en-US')} finished jobs in one month file (${round(fileBytes / 1e6)} MB), JobArchive.list first page of 20 and the page after, median of ${RUNS}`;
    return [
      {
        name: 'archive_pages_100k_vs_scan',
        baseline: round(scan),
        value: round(ms(worstMs)),
        ratio: ratioOf(ms(worstMs), scan),
        unit: 'ms',
        notes: `worst filter (${worstMs}): ${how}; baseline = one bare readline pass over the same file; every filter: ${each((n) => `${round(ms(n))} ms`)}`,
      },
      {
        name: 'archive_pages_heap_vs_file',
        baseline: round(fileBytes / 1e6),
        value: round(heap(worstHeap) / 1e6),
        ratio: ratioOf(heap(worstHeap), fileBytes),
        unit: 'MB',
        notes: `worst filter (${worstHeap}): peak heapUsed growth (sampled every ms, after a gc) while reading the two pages, against the month file's size; every filter: ${each((n) => `${round(heap(n) / 1e6)} MB`)}`,
      },
    ];
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
