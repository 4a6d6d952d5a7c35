/**
 * Warm start: from launching `./start.sh` on an already built checkout until `/api/health` answers
 * 200, against launching a bare `node:http` server until it answers, in the same run. start.sh
 * starts its own Redis (temp VOLUME_ROOT, free ports), so this is the whole first start a user
 * waits for, minus the build it skips. Median of a few launches each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { registerCleanup } from './lib/cleanup.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAUNCHES = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function untilHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before ${url} answered 200`);
    if (performance.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return exited.finally(() => clearTimeout(kill));
}

/** Seconds from spawn to the first 200 from `/api/health`. */
async function launchStudio(): Promise<number> {
  const port = await freePort();
  const redisPort = await freePort();
  const volume = fs.mkdtempSync(path.join(os.tmpdir(), 'isengard-bench-startup-'));
  const t0 = performance.now();
  const child = spawn('bash', [path.join(ROOT, 'start.sh')], {
    cwd: ROOT,
    env: { ...process.env, ISENGARD_MODE: 'fast-test', PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}/0`, VOLUME_ROOT: volume, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const cleanup = registerCleanup(async () => {
    await stop(child);
    fs.rmSync(volume, { recursive: true, force: true });
  });
  try {
    await untilHealthy(`http://127.0.0.1:${port}/api/health`, child, 120_000);
    return (performance.now() - t0) / 1000;
  } finally {
    await cleanup();
  }
}

/** Seconds from spawn to the first 200 of a bare node:http server. */
async function launchBare(): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`], { stdio: 'ignore' });
  const cleanup = registerCleanup(() => stop(child));
  try {
    await untilHealthy(`http://127.0.0.1:${port}/`, child, 30_000);
    return (performance.now() - t0) / 1000;
  } finally {
    await cleanup();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<BenchResult[]> {
  // A first launch builds if dist/ is stale, so the measured ones are warm starts.
  await launchStudio();
  const studio: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < LAUNCHES; i++) {
    bare.push(await launchBare());
    studio.push(await launchStudio());
  }
  const value = median(studio);
  const baseline = median(bare);
  return [
    {
      name: 'warm_start_to_health',
      baseline: round(baseline, 3),
      value: round(value, 3),
      ratio: ratioOf(value, baseline),
      unit: 's',
      notes: `./start.sh on a built checkout (it starts Redis) → /api/health 200; baseline: bare node:http listen → 200; median of ${LAUNCHES}`,
    },
  ];
}
