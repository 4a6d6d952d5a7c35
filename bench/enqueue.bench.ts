/**
 * Enqueue path, against bare baselines on the same private Redis in the same run:
 * (a) throughput of `generation.start` over HTTP (keep-alive, 16 in flight, no worker) vs a bare
 *     node:http server in its own process that parses the JSON and calls the job store's create
 *     plus bee-queue's createJob().save() per request (bench/lib/raw-enqueue-server.ts), same
 *     client and concurrency; bee-queue alone, in-process, is noted for scale;
 * (b) latency from the request to the record's `started_at` with one real worker process
 *     (MOCK_STEP_MS=0, steps 1, 512×512), one job at a time, vs createJob → `process` handler.
 */
import BeeQueue from 'bee-queue';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { JobRecord } from '../src/shared/jobs.js';
import { beeQueueRedisOptions } from '../src/shared/node/redis.js';
import { JsonClient } from './lib/http.js';
import { JobWatcher } from './lib/job-watch.js';
import { spawnOwned, startBenchStack } from './lib/stack.js';
import { waitForLine } from '../tests/helpers/stack.js';
import { percentile, pool } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const REQUESTS = 2000;
const CONCURRENCY = 16;
const WARMUP = 300;
const LATENCY_JOBS = 150;
const PHASE_LIMIT_MS = 60_000;

const jobInput = (i: number) => ({ config: { prompt: `bench enqueue ${i}`, width: 512, height: 512, steps: 1, seed: i } });

function rawQueue(redisUrl: string, name: string, isWorker: boolean): BeeQueue {
  return new BeeQueue(name, {
    prefix: 'bench:bq',
    redis: beeQueueRedisOptions(redisUrl) as never,
    isWorker,
    getEvents: false,
    sendEvents: false,
    activateDelayedJobs: false,
    removeOnSuccess: true,
    removeOnFailure: true,
  });
}

/**
 * CPU µs to create a small file beside the job logs, for the notes: each enqueue creates its job's
 * log file, and on a journal-less ext4 (this project's test machines) creating one scans past every
 * inode deleted in the last minutes (the kernel's recently_deleted(), seen with perf), so a run
 * right after a test suite removed its temp dirs pays far more per file than a pod volume would.
 */
function fileCreateMicros(volume: string): number {
  const dir = path.join(volume, 'logs', 'create-probe');
  fs.mkdirSync(dir, { recursive: true });
  const started = process.cpuUsage();
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(dir, `probe-${i}.jsonl`), '{}\n', { flag: 'a' });
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 200;
}

export async function run(): Promise<BenchResult[]> {
  const stack = await startBenchStack({ env: { MOCK_STEP_MS: '0' } });
  const client = new JsonClient(stack.url, CONCURRENCY);
  const queues: BeeQueue[] = [];
  let watcher: JobWatcher | null = null;
  let rawServer: ReturnType<typeof spawnOwned> | null = null;
  let rawClient: JsonClient | null = null;
  try {
    // (a) throughput, no worker: the jobs just pile up in the queue.
    const deadline = Date.now() + PHASE_LIMIT_MS;
    const createCost = fileCreateMicros(stack.volume);
    await pool(WARMUP, CONCURRENCY, async (i) => void (await client.mutate('generation.start', jobInput(i))));
    let t0 = performance.now();
    const httpDone = await pool(REQUESTS, CONCURRENCY, async (i) => void (await client.mutate('generation.start', jobInput(i))), deadline);
    const httpRate = httpDone / ((performance.now() - t0) / 1000);

    rawServer = spawnOwned('bench/lib/raw-enqueue-server.ts', { REDIS_URL: stack.redis.url });
    await waitForLine(rawServer, /raw enqueue server listening \d+/, 30_000);
    const rawPort = /listening (\d+)/.exec(rawServer.output.find((l) => /listening \d+/.test(l))!)![1];
    rawClient = new JsonClient(`http://127.0.0.1:${rawPort}`, CONCURRENCY);
    const bare = rawClient;
    const bareEnqueue = async (i: number) => {
      const res = await bare.request('POST', '/enqueue', jobInput(i));
      if (res.status !== 200) throw new Error(`bare enqueue server: ${res.status} ${JSON.stringify(res.body)}`);
    };
    await pool(WARMUP, CONCURRENCY, bareEnqueue);
    t0 = performance.now();
    const bareDone = await pool(REQUESTS, CONCURRENCY, bareEnqueue, Date.now() + PHASE_LIMIT_MS);
    const bareRate = bareDone / ((performance.now() - t0) / 1000);

    const producer = rawQueue(stack.redis.url, 'bench-raw', false);
    queues.push(producer);
    await producer.ready();
    const save = (i: number) => producer.createJob({ id: `generation-raw${String(i).padStart(9, '0')}`, correlation_id: `bench-${i}` }).save();
    await pool(WARMUP, CONCURRENCY, async (i) => void (await save(i)));
    t0 = performance.now();
    const rawDone = await pool(REQUESTS, CONCURRENCY, async (i) => void (await save(WARMUP + i)), Date.now() + PHASE_LIMIT_MS);
    const rawRate = rawDone / ((performance.now() - t0) / 1000);

    // (b) enqueue → handler start. Empty the private Redis first so the worker starts idle.
    watcher = await JobWatcher.start(stack.redis.url);
    await watcher.flushdb();
    await stack.spawnWorker('bench-latency');
    const ours: number[] = [];
    const phaseEnd = Date.now() + PHASE_LIMIT_MS;
    for (let i = 0; i < LATENCY_JOBS + 10 && Date.now() < phaseEnd; i++) {
      const sent = Date.now();
      const { body } = await client.mutate<JobRecord>('generation.start', jobInput(i));
      const done = await watcher.waitTerminal(body.id, 10_000);
      if (!done || done.status !== 'completed' || !done.started_at) throw new Error(`job ${body.id} did not complete: ${JSON.stringify(done)}`);
      if (i >= 10) ours.push(Date.parse(done.started_at) - sent); // first 10 warm the worker up
    }

    const consumer = rawQueue(stack.redis.url, 'bench-latency', true);
    const latencyProducer = rawQueue(stack.redis.url, 'bench-latency', false);
    queues.push(consumer, latencyProducer);
    await Promise.all([consumer.ready(), latencyProducer.ready()]);
    let resolveHandled: ((ms: number) => void) | null = null;
    consumer.process(1, async (job: BeeQueue.Job<{ sent: number }>) => {
      resolveHandled?.(performance.timeOrigin + performance.now() - job.data.sent);
    });
    const raw: number[] = [];
    const rawEnd = Date.now() + PHASE_LIMIT_MS;
    for (let i = 0; i < LATENCY_JOBS + 10 && Date.now() < rawEnd; i++) {
      const handled = new Promise<number>((resolve) => (resolveHandled = resolve));
      await latencyProducer.createJob({ sent: performance.timeOrigin + performance.now() }).save();
      const ms = await Promise.race([handled, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('raw job not handled in 10 s')), 10_000))]);
      if (i >= 10) raw.push(ms);
    }

    const p = (xs: number[], q: number) => round(percentile(xs, q), 2);
    return [
      {
        name: 'enqueue_http_throughput',
        baseline: Math.round(bareRate),
        value: Math.round(httpRate),
        ratio: ratioOf(httpRate, bareRate),
        unit: 'jobs/s',
        notes:
          `${httpDone} generation.start over HTTP (keep-alive, ${CONCURRENCY} in flight, API in its own process, no worker) ` +
          `vs ${bareDone} POSTs to a bare node:http server (own process) doing JSON parse + job store create + createJob().save(), same client and Redis; ` +
          `ours adds validation, rate limit, correlation, the job.queued log line (a new file per job: creating one cost ${Math.round(createCost)} µs of CPU on this volume before the run); ` +
          `bee-queue alone in-process: ${Math.round(rawRate)} jobs/s (${rawDone} saves)`,
      },
      {
        name: 'enqueue_to_start_p50',
        baseline: p(raw, 50),
        value: p(ours, 50),
        ratio: ratioOf(percentile(ours, 50), percentile(raw, 50)),
        unit: 'ms',
        notes: `${ours.length} jobs one at a time, request sent → record started_at (ms clock), 1 worker process, MOCK_STEP_MS=0; baseline = createJob().save() → process() handler in-process (${raw.length} jobs); lower is better`,
      },
      {
        name: 'enqueue_to_start_p95',
        baseline: p(raw, 95),
        value: p(ours, 95),
        ratio: ratioOf(percentile(ours, 95), percentile(raw, 95)),
        unit: 'ms',
        notes: 'same samples as enqueue_to_start_p50; lower is better',
      },
    ];
  } finally {
    watcher?.close();
    client.close();
    rawClient?.close();
    await rawServer?.stop();
    await Promise.all(queues.map((q) => q.close(1000).catch(() => undefined)));
    await stack.stop();
  }
}
