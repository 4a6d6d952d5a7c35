/**
 * GET /api/jobs/:id/logs on a 200 MiB JSONL file, served by the real API (its own process) and
 * read fully by fetch, against a bare node:http server piping fs.createReadStream to the response
 * (also its own process), in the same run. The API's RSS is sampled from /proc during the
 * downloads: growth far below the file size shows the route streams instead of buffering.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatJobLogLine } from '../src/shared/node/job-logger.js';
import { download } from './lib/download.js';
import { RssSampler } from './lib/rss.js';
import { spawnOwned, startBenchStack } from './lib/stack.js';
import { waitForLine } from '../tests/helpers/stack.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const MiB = 1024 * 1024;
const FILE_MIB = Number(process.env.BENCH_LOG_MIB ?? 200);
const ROUNDS = Math.max(1, Number(process.env.BENCH_LOG_ROUNDS ?? 5));
const JOB_ID = 'training-0123456789ab';

/** ~1 MiB of realistic trainer log lines, repeated to the target size. */
function writeLogFile(file: string, totalBytes: number): number {
  const lines: string[] = [];
  let size = 0;
  for (let step = 0; size < MiB; step++) {
    const line = formatJobLogLine({
      ts: new Date(Date.UTC(2025, 0, 1, 12, 0, 0, step * 700)).toISOString(),
      level: 'INFO',
      service: 'worker',
      job_id: JOB_ID,
      correlation_id: 'web-6f1c2a7e-2b1d-4c55-9a0e-1f2e3d4c5b6a',
      event: step % 50 === 0 ? 'trainer.output' : 'job.progress',
      msg: step % 50 === 0 ? `Saving at step ${step}` : `step ${step}/1000`,
      fields: { step, total_steps: 1000, loss: 0.39 - step * 1e-5, lr: 1e-4, eta_seconds: 1000 - step },
    });
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  const block = Buffer.from(lines.join(''));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'w');
  let written = 0;
  try {
    while (written + block.length <= totalBytes) written += fs.writeSync(fd, block);
    // Top up to the exact size with whole lines.
    const rest = block.subarray(0, block.lastIndexOf(0x0a, totalBytes - written - 1) + 1);
    written += fs.writeSync(fd, rest);
  } finally {
    fs.closeSync(fd);
  }
  return written;
}

export async function run(): Promise<BenchResult[]> {
  const stack = await startBenchStack();
  let raw: ReturnType<typeof spawnOwned> | null = null;
  try {
    const file = path.join(stack.volume, 'logs', 'jobs', `${JOB_ID}.jsonl`);
    const size = writeLogFile(file, FILE_MIB * MiB);
    raw = spawnOwned('bench/lib/raw-file-server.ts', { BENCH_FILE: file });
    await waitForLine(raw, /raw file server listening \d+/, 30_000);
    const rawPort = /listening (\d+)/.exec(raw.output.find((l) => /listening \d+/.test(l))!)![1];
    const rawUrl = `http://127.0.0.1:${rawPort}/${JOB_ID}.jsonl`;
    const apiUrl = `${stack.url}/api/jobs/${JOB_ID}/logs`;

    // Warm both code paths on a small range / prefix, then measure full downloads.
    for (let i = 0; i < 3; i++) {
      const w = await download(apiUrl, { range: 'bytes=0-1048575' });
      if (w.status !== 206 || w.bytes !== MiB) throw new Error(`logs range warm-up: ${w.status}, ${w.bytes} bytes`);
    }
    const warmRaw = await download(rawUrl, {}, MiB); // the bare server ignores Range: stop after 1 MiB
    if (warmRaw.status !== 200) throw new Error(`raw server warm-up: ${warmRaw.status}`);

    // Both sampled from before their first full download: any one-time growth counts.
    const apiRss = new RssSampler(stack.api.child.pid!);
    const rawRss = new RssSampler(raw.child.pid!);
    const apiMs: number[] = [];
    const rawMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const b = await download(rawUrl);
      if (b.status !== 200 || b.bytes !== size) throw new Error(`raw download: ${b.status}, ${b.bytes} of ${size} bytes`);
      rawMs.push(b.ms);
      const a = await download(apiUrl);
      if (a.status !== 200 || a.bytes !== size) throw new Error(`logs download: ${a.status}, ${a.bytes} of ${size} bytes`);
      apiMs.push(a.ms);
    }
    const apiMem = apiRss.stop();
    const rawMem = rawRss.stop();
    const mibps = (ms: number[]) => size / MiB / (Math.min(...ms) / 1000);
    const ours = mibps(apiMs);
    const base = mibps(rawMs);
    return [
      {
        name: 'logs_route_throughput',
        baseline: round(base),
        value: round(ours),
        ratio: ratioOf(ours, base),
        unit: 'MiB/s',
        notes: `GET /api/jobs/:id/logs of a ${round(size / MiB)} MiB JSONL (page-cached), read fully by fetch, best of ${ROUNDS}; baseline = bare node:http + fs.createReadStream().pipe(res) in its own process`,
      },
      {
        name: 'logs_route_api_rss_growth',
        baseline: round(size / MiB),
        value: round(apiMem.growthMb),
        ratio: ratioOf(apiMem.growthMb, size / MiB),
        unit: 'MiB',
        notes:
          `API process peak RSS − RSS before ${ROUNDS} full downloads (${round(apiMem.startMb)} → ${round(apiMem.peakMb)} MiB, ${apiMem.samples} samples); ` +
          `baseline = file size (ratio ≪ 1 = streamed); bare server grew ${round(rawMem.growthMb)} MiB (${round(rawMem.startMb)} → ${round(rawMem.peakMb)})`,
      },
    ];
  } finally {
    await raw?.stop();
    await stack.stop();
  }
}
