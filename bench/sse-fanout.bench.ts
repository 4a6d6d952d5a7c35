/**
 * Live updates at scale: 500 SSE subscribers (`jobs.onUpdate`, what every open browser tab
 * holds) on one job, against the API as its own process. Latency per delivered update, from
 * just before the store's update (the worker's publish, same code) to the subscriber having
 * parsed the event; p95 over every (subscriber, update). Baseline in the same run: 500 bare
 * Redis pub/sub subscribers (one connection each) on the same channel, the same updates — the
 * fan-out Redis itself does, with nothing in between.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import type { JobRecord } from '../src/shared/jobs.js';
import { JOB_UPDATES_CHANNEL, JobStore } from '../src/shared/node/job-store.js';
import { startBenchStack } from './lib/stack.js';
import { percentile, sleep } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const SUBSCRIBERS = Number(process.env.BENCH_SSE_SUBSCRIBERS ?? 500);
const UPDATES = Number(process.env.BENCH_SSE_UPDATES ?? 30);
const ID = 'generation-00000000beef';

interface Receiver {
  onMessage(fn: (record: JobRecord) => void): void;
  close(): void;
}

function sseReceiver(url: string, agent: http.Agent): Promise<Receiver> {
  return new Promise((resolve, reject) => {
    const listeners: ((r: JobRecord) => void)[] = [];
    const req = http.get(url, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`onUpdate → ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      let first = true;
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (/^event: /m.test(event)) continue; // connected, ping, return
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (!data) continue;
          const record = JSON.parse(data) as JobRecord;
          if (first) {
            first = false;
            resolve({ onMessage: (fn) => listeners.push(fn), close: () => req.destroy() });
          }
          for (const l of listeners) l(record);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error('SSE subscriber timed out')));
  });
}

async function redisReceiver(url: string): Promise<Receiver> {
  const sub = new Redis(url);
  const listeners: ((r: JobRecord) => void)[] = [];
  sub.on('message', (_channel: string, message: string) => {
    const record = JSON.parse(message) as JobRecord;
    for (const l of listeners) l(record);
  });
  await sub.subscribe(JOB_UPDATES_CHANNEL);
  return { onMessage: (fn) => listeners.push(fn), close: () => sub.disconnect() };
}

/** Sends UPDATES updates through the store; returns every delivery's latency in ms. */
async function measure(store: JobStore, receivers: Receiver[]): Promise<number[]> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let pending = 0;
  let allIn: (() => void) | null = null;
  for (const r of receivers) {
    r.onMessage((record) => {
      const at = record.message ? sentAt.get(record.message) : undefined;
      if (at === undefined) return;
      latencies.push(performance.now() - at);
      if (--pending === 0) allIn?.();
    });
  }
  for (let k = 0; k < UPDATES + 3; k++) {
    const message = `bench update ${k}`;
    pending = receivers.length;
    const done = new Promise<void>((resolve) => (allIn = resolve));
    const warm = k < 3;
    sentAt.set(message, performance.now());
    await store.update(ID, (r) => ({ ...r, progress: k / (UPDATES + 3), message }));
    await Promise.race([done, sleep(10_000)]);
    if (pending > 0) throw new Error(`${pending} of ${receivers.length} subscribers missed update ${k}`);
    if (warm) latencies.length = 0;
    await sleep(20);
  }
  return latencies;
}

export async function run(): Promise<BenchResult[]> {
  const stack = await startBenchStack();
  const redis = new Redis(stack.redis.url);
  const store = new JobStore(redis);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  try {
    await store.create({
      id: ID,
      type: 'generation',
      status: 'running',
      correlation_id: 'bench',
      config: { prompt: 'fan-out' },
      created_at: new Date().toISOString(),
      progress: 0,
      outputs: [],
      attempts: 1,
      rev: 0,
    });

    const single = await redisReceiver(stack.redis.url);
    const singleLat = await measure(store, [single]);
    single.close();

    const bare = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => redisReceiver(stack.redis.url)));
    const bareLat = await measure(store, bare);
    for (const r of bare) r.close();

    const url = `${stack.url}/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId: ID }))}`;
    const sse: Receiver[] = [];
    for (let i = 0; i < SUBSCRIBERS; i += 50) sse.push(...(await Promise.all(Array.from({ length: Math.min(50, SUBSCRIBERS - i) }, () => sseReceiver(url, agent)))));
    const sseLat = await measure(store, sse);
    for (const r of sse) r.close();

    const p95 = (xs: number[]) => percentile(xs, 95);
    return [
      {
        name: 'sse_fanout_p95',
        baseline: round(p95(bareLat), 2),
        value: round(p95(sseLat), 2),
        ratio: ratioOf(p95(sseLat), p95(bareLat)),
        unit: 'ms p95',
        notes:
          `${SUBSCRIBERS} SSE subscribers (jobs.onUpdate over HTTP, one API process: one Redis subscription, one JSON + SSE frame per update written to every subscriber) × ${UPDATES} updates, ` +
          `store.update → event parsed in the subscriber; baseline = ${SUBSCRIBERS} bare ioredis subscribers on the same channel, same updates. ` +
          `Medians ${round(percentile(sseLat, 50), 2)} vs ${round(percentile(bareLat, 50), 2)} ms; one bare subscriber alone: p95 ${round(p95(singleLat), 2)} ms`,
      },
    ];
  } finally {
    agent.destroy();
    await store.close();
    redis.disconnect();
    await stack.stop();
  }
}
