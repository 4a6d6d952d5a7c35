/**
 * Runs the real `./start.sh` on free ports with a temp VOLUME_ROOT and watches what a user would see
 * on the terminal. Every process it starts (start.sh/the supervisor and each child the supervisor
 * reports) is killed by `cleanupStudios()`, also when a test fails halfway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { JobRecord } from '../../src/shared/jobs.js';
import { isTerminal } from '../../src/shared/jobs.js';
import { freePort } from '../helpers/redis-server.js';
import { REPO } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

export interface Studio {
  proc: ChildProcess;
  url: string;
  port: number;
  redisPort: number;
  volume: string;
  /** What start.sh and the supervisor said (stderr), and everything on stdout. */
  stderr(): string;
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Pid of the latest incarnation of a supervised process, from its "started NAME (pid N)" line. */
  pidOf(name: string): number | undefined;
  allPids(): number[];
  call<T = unknown>(procedure: string, input?: unknown): Promise<{ status: number; body: T }>;
  waitForJob(id: string, pred?: (r: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  /** SIGTERM to start.sh; resolves with its exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const studios: Studio[] = [];

export async function launch(env: Record<string, string> = {}, args: string[] = []): Promise<Studio> {
  const port = Number(env.PORT ?? (await freePort()));
  const redisPort = await freePort();
  const volume = tempDir('isengard-studio-');
  let err = '';
  let out = '';
  const proc = spawn('bash', [path.join(REPO, 'start.sh'), ...args], {
    cwd: REPO,
    env: {
      ...process.env,
      ISENGARD_MODE: 'fast-test',
      PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${redisPort}/0`,
      VOLUME_ROOT: volume,
      LOG_LEVEL: 'warn',
      ISENGARD_STALL_INTERVAL_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const started = () => [...err.matchAll(/started (\S+) \(pid (\d+)\)/g)].map((m) => ({ name: m[1]!, pid: Number(m[2]) }));
  const url = `http://127.0.0.1:${port}`;
  const studio: Studio = {
    proc,
    url,
    port,
    redisPort: Number(new URL(env.REDIS_URL ?? `redis://127.0.0.1:${redisPort}`).port),
    volume,
    stderr: () => err,
    stdout: () => out,
    exited,
    async waitForStderr(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = err.match(pattern);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} on start.sh's stderr:\n${err}`);
        if (proc.exitCode !== null && !err.match(pattern)) throw new Error(`start.sh exited (${proc.exitCode}) without ${pattern}:\n${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    pidOf: (name) => started().filter((s) => s.name === name).at(-1)?.pid,
    allPids: () => started().map((s) => s.pid),
    async call(procedure, input) {
      const post = /\.(start|cancel|create|update|delete)$/.test(procedure);
      const target = post ? `${url}/api/trpc/${procedure}` : `${url}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input ?? {}))}`;
      const res = await fetch(target, { method: post ? 'POST' : 'GET', headers: { 'content-type': 'application/json' }, body: post ? JSON.stringify(input ?? {}) : undefined });
      const json = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      return { status: res.status, body: (json.result ? json.result.data : json.error) as never };
    },
    async waitForJob(id, pred = (r) => isTerminal(r.status), timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        const res = await studio.call<JobRecord>('jobs.get', { id }).catch(() => null);
        if (res?.status === 200) {
          last = res.body;
          if (pred(res.body)) return res.body;
        }
        if (Date.now() > deadline) throw new Error(`job ${id} did not reach the state in time: ${JSON.stringify(last)}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
  studios.push(studio);
  return studio;
}

export const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** For afterEach: stop every studio, then SIGKILL whatever of theirs is still alive. */
export async function cleanupStudios(): Promise<void> {
  for (const studio of studios.splice(0)) {
    if (studio.proc.exitCode === null && studio.proc.signalCode === null) {
      studio.proc.kill('SIGTERM');
      await Promise.race([studio.exited, new Promise((r) => setTimeout(r, 20_000))]);
      studio.proc.kill('SIGKILL');
    }
    for (const pid of studio.allPids()) {
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    fs.rmSync(studio.volume, { recursive: true, force: true });
  }
}
