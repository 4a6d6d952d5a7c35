/**
 * JobLogger write rate: `info()` with small fields (pino silent, inside a correlation context as
 * in a request or job) against a bare `fs.writeSync` loop on an O_APPEND descriptor writing lines
 * of the same size, in the same run. Both write to page cache (no fsync), one syscall per line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { runWithCorrelation } from '../src/shared/node/correlation.js';
import { JobLogger } from '../src/shared/node/job-logger.js';
import { registerCleanup } from './lib/cleanup.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const LINES = 200_000;
const TIME_LIMIT_MS = 4000;
const ROUNDS = 3;

/** Lines/s of `write(i)` over at most LINES calls or TIME_LIMIT_MS, best of ROUNDS. */
function measure(write: (i: number) => void, fresh: () => void): { rate: number; lines: number } {
  let best = 0;
  let lines = 0;
  for (let r = 0; r < ROUNDS; r++) {
    fresh();
    const deadline = performance.now() + TIME_LIMIT_MS;
    const t0 = performance.now();
    let i = 0;
    while (i < LINES) {
      write(i++);
      if ((i & 1023) === 0 && performance.now() > deadline) break;
    }
    const rate = i / ((performance.now() - t0) / 1000);
    if (rate > best) {
      best = rate;
      lines = i;
    }
  }
  return { rate: best, lines };
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-joblog-'));
  const cleanup = registerCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    const logger = pino({ level: 'silent' });
    const ours = path.join(dir, 'generation-0123456789ab.jsonl');
    const raw = path.join(dir, 'raw.jsonl');
    let jobLog: JobLogger | null = null;
    const freshOurs = () => {
      jobLog?.close();
      fs.rmSync(ours, { force: true });
      jobLog = new JobLogger({ jobId: 'generation-0123456789ab', service: 'worker', logPath: ours, logger });
    };
    const writeOurs = (i: number) => jobLog!.info('Step progress', 'job.progress', { step: i, total: LINES, loss: 0.3912, eta_s: 42 });

    // Warm-up, then the measured rounds, all inside a correlation context like a real job.
    const mine = runWithCorrelation('bench-0123456789ab', () => {
      freshOurs();
      for (let i = 0; i < 20_000; i++) writeOurs(i);
      return measure(writeOurs, freshOurs);
    });
    jobLog!.close();
    const sample = fs.readFileSync(ours, 'utf8').split('\n', 1)[0]! + '\n';
    const lineBytes = Buffer.byteLength(fs.readFileSync(ours, 'utf8').split('\n', 2)[1]! + '\n');
    const line = 'x'.repeat(lineBytes - 1) + '\n';

    let fd: number | null = null;
    const freshRaw = () => {
      if (fd !== null) fs.closeSync(fd);
      fs.rmSync(raw, { force: true });
      fd = fs.openSync(raw, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
    };
    const writeRaw = () => fs.writeSync(fd!, line);
    freshRaw();
    for (let i = 0; i < 20_000; i++) writeRaw();
    const base = measure(writeRaw, freshRaw);
    fs.closeSync(fd!);

    return [
      {
        name: 'job_logger_lines_per_s',
        baseline: Math.round(base.rate),
        value: Math.round(mine.rate),
        ratio: ratioOf(mine.rate, base.rate),
        unit: 'lines/s',
        notes:
          `JobLogger.info (pino silent, ALS correlation id, ~${lineBytes} B lines, best of ${ROUNDS} × ≤${LINES} lines/${TIME_LIMIT_MS / 1000} s) ` +
          `vs fs.writeSync of a pre-built ${lineBytes} B string on O_APPEND; per line ours ${round(1e6 / mine.rate, 2)} µs vs ${round(1e6 / base.rate, 2)} µs; ` +
          `e.g. ${sample.trim().slice(0, 60)}…`,
      },
    ];
  } finally {
    await cleanup();
  }
}
