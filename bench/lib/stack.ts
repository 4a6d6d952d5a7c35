/**
 * A production-shaped stack for benchmarks: a private redis-server, the API as its own process
 * (`node --import tsx src/server/main.ts`, so its RSS can be sampled and the load generator does
 * not share its event loop) and real worker processes. Built from the integration-test helpers.
 * Everything it starts is registered for cleanup as soon as it exists.
 */
import fs from 'node:fs';
import { freePort, startRedis, type TestRedis } from '../../tests/helpers/redis-server.js';
import { spawnNode, waitForLine, type WorkerProcess } from '../../tests/helpers/stack.js';
import { tempDir, testEnv } from '../../tests/helpers/test-config.js';
import { registerCleanup } from './cleanup.js';

export interface BenchStack {
  url: string;
  redis: TestRedis;
  volume: string;
  env: Record<string, string>;
  api: WorkerProcess;
  workers: WorkerProcess[];
  spawnWorker(name: string, extra?: Record<string, string>): Promise<WorkerProcess>;
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  workers?: number;
  /** Extra environment for the API and the workers. */
  env?: Record<string, string>;
}

/** Kills a child we started (by its own handle) and waits for it, at most `timeoutMs`. */
export async function killChild(p: WorkerProcess, timeoutMs = 5000): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGKILL');
  await Promise.race([p.exited, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}

/** Starts a node script (run through tsx) as a child we own; it is killed by the returned stop or by cleanupAll. */
export function spawnOwned(script: string, env: Record<string, string>): WorkerProcess & { stop: () => Promise<void> } {
  const p = spawnNode(script, env);
  const stop = registerCleanup(() => killChild(p));
  return { ...p, stop };
}

export async function startBenchStack(opts: BenchStackOptions = {}): Promise<BenchStack> {
  const redis = await startRedis();
  const volume = tempDir('isengard-bench-');
  const children: WorkerProcess[] = [];
  const stop = registerCleanup(async () => {
    await Promise.all(children.map((c) => killChild(c)));
    await redis.stop();
    fs.rmSync(volume, { recursive: true, force: true });
    fs.rmSync(redis.dir, { recursive: true, force: true });
  });
  try {
    const port = await freePort();
    // Benchmarks send thousands of mutations from one address: lift the per-client limit.
    const env = {
      ...testEnv(redis.url, volume, { RATE_LIMIT_PER_MINUTE: '100000', ...opts.env }),
      LOG_LEVEL: opts.env?.LOG_LEVEL ?? 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
    };
    const api = spawnNode('src/server/main.ts', env);
    children.push(api);
    await waitForLine(api, /Isengard API listening/, 30_000);
    const workers: WorkerProcess[] = [];
    const stack: BenchStack = {
      url: `http://127.0.0.1:${port}`,
      redis,
      volume,
      env,
      api,
      workers,
      async spawnWorker(name, extra = {}) {
        const w = spawnNode('src/worker/main.ts', { ...env, WORKER_NAME: name, ...extra });
        children.push(w);
        workers.push(w);
        await waitForLine(w, /worker ready/, 30_000);
        return w;
      },
      stop,
    };
    for (let i = 0; i < (opts.workers ?? 0); i++) await stack.spawnWorker(`bench-w${i}`);
    return stack;
  } catch (err) {
    await stop();
    throw err;
  }
}
