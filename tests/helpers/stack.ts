/**
 * A real Isengard stack for integration tests: private redis-server, the API server (in this
 * process, on a free port) and worker processes (real child processes running src/worker/main.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createApiServer, type ApiServer } from '../../src/server/api-server.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { isTerminal } from '../../src/shared/jobs.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { silentLogger, tempDir, testConfig, testEnv } from './test-config.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

export interface Stack {
  redis: TestRedis;
  api: ApiServer;
  url: string;
  volume: string;
  env: Record<string, string>;
  workers: WorkerProcess[];
  spawnWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  call<T = unknown>(proc: string, input?: unknown, opts?: { method?: 'GET' | 'POST'; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  waitFor(id: string, pred?: (r: JobRecord) => boolean, timeoutMs?: number): Promise<JobRecord>;
  stop(): Promise<void>;
}

export function spawnNode(script: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

export async function waitForLine(w: WorkerProcess, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!w.output.some((l) => pattern.test(l))) {
    if (w.child.exitCode !== null) throw new Error(`process exited (${w.child.exitCode}):\n${w.output.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${w.output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startStack(
  opts: { workers?: number; env?: Record<string, string>; aof?: boolean; clientDir?: string } = {},
): Promise<Stack> {
  const redis = await startRedis({ aof: opts.aof });
  const volume = tempDir('isengard-vol-');
  const extra = { ISENGARD_STALL_INTERVAL_MS: '1000', ...opts.env };
  const env = { ...testEnv(redis.url, volume, extra), LOG_LEVEL: 'info' };
  const api = createApiServer(testConfig(redis.url, volume, extra), silentLogger(), { clientDir: opts.clientDir });
  await api.ready();
  await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const workers: WorkerProcess[] = [];

  const stack: Stack = {
    redis,
    api,
    url,
    volume,
    env,
    workers,
    async spawnWorker(more = {}) {
      const w = spawnNode('src/worker/main.ts', { ...env, ...more });
      workers.push(w);
      await waitForLine(w, /worker ready/);
      return w;
    },
    async call(proc, input, o = {}) {
      const method = o.method ?? (/\.(start|cancel|create|update|delete|setCaption|deleteImage|resume|continue|fromCheckpoint|deleteCheckpoint|purge|replace|trigger|accept|use)$/.test(proc) ? 'POST' : 'GET');
      const target =
        method === 'GET'
          ? `${url}/api/trpc/${proc}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
          : `${url}/api/trpc/${proc}`;
      const res = await fetch(target, {
        method,
        headers: { 'content-type': 'application/json', ...o.headers },
        body: method === 'POST' ? JSON.stringify(input ?? {}) : undefined,
      });
      const json = (await res.json()) as { result?: { data: unknown }; error?: unknown };
      return { status: res.status, body: (json.result ? json.result.data : json.error) as never, headers: res.headers };
    },
    async waitFor(id, pred = (r) => isTerminal(r.status), timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await api.infra.store.get(id);
        if (record && pred(record)) return record;
        if (Date.now() > deadline) {
          throw new Error(`job ${id} did not reach the state in time: ${JSON.stringify(record)}\n${workers.map((w) => w.output.slice(-30).join('\n')).join('\n---\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.exited));
      await api.close(1000);
      await redis.stop();
    },
  };
  for (let i = 0; i < (opts.workers ?? 0); i++) await stack.spawnWorker({ WORKER_NAME: `w${i}` });
  return stack;
}
