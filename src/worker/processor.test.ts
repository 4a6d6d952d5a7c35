/**
 * The lifecycle against a private Redis and the real GPU queue, with stand-in job handlers:
 * NonRetryableError is final, any other failure gets one more attempt through bee-queue's
 * backoff, a record its type cannot parse never reaches a handler, and each progress decile is
 * logged once.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../tests/helpers/redis-server.js';
import { silentLogger, tempDir } from '../../tests/helpers/test-config.js';
import { isTerminal, type JobRecord } from '../shared/jobs.js';
import { JobStore } from '../shared/node/job-store.js';
import { createQueue, enqueue, enqueueLater, GPU_QUEUE, QUEUE_PREFIX, type JobQueue } from '../shared/node/queues.js';
import { VolumePaths } from '../shared/node/volume.js';
import { JobDeferredError, NonRetryableError } from './backends/types.js';
import type { JobHandler, JobHandlers } from './jobs/types.js';
import { JobProcessor } from './processor.js';

const testRedis = useTestRedis();
const STALL_MS = 300;
let store: JobStore;
let producer: JobQueue;
let consumer: JobQueue;
let paths: VolumePaths;
let generation: JobHandler<'generation'> = async () => undefined;
let n = 0;

beforeAll(async () => {
  store = new JobStore(testRedis.redis);
  paths = new VolumePaths(tempDir('isengard-processor-'));
  producer = createQueue(testRedis.server.url, { isWorker: false });
  consumer = createQueue(testRedis.server.url, { isWorker: true, stallInterval: STALL_MS });
  const handlers: JobHandlers = {
    generation: (job, ctx) => generation(job, ctx),
    training: async () => {
      throw new Error('no training in this test');
    },
    caption: async () => {
      throw new Error('no caption in this test');
    },
    purge: async () => {
      throw new Error('no purge in this test');
    },
    evaluation: async () => {
      throw new Error('no evaluation in this test');
    },
  };
  const processor = new JobProcessor({
    store,
    paths,
    handlers,
    logger: silentLogger(),
    workerName: 'unit-w',
    leaseMs: STALL_MS / 2,
    requeue: (payload, delayMs) => enqueueLater(producer, payload, delayMs),
  });
  consumer.process(1, (job) => processor.handle(job));
  void consumer.checkStalledJobs(STALL_MS).catch(() => undefined);
});
afterAll(async () => {
  await consumer?.close(1000);
  await producer?.close(1000);
  await store?.close();
});
afterEach(() => {
  generation = async () => undefined;
});

async function submit(config: Record<string, unknown> = { prompt: 'p', model_variant: 'flux-dev', seed: 1 }): Promise<string> {
  const id = `generation-${String(++n).padStart(12, '0')}`;
  const record: JobRecord = { id, type: 'generation', status: 'queued', correlation_id: `unit-${n}`, config, count: 1, created_at: new Date().toISOString(), progress: 0, outputs: [], attempts: 0, rev: 0 };
  await store.create(record);
  await enqueue(producer, { id, correlation_id: record.correlation_id, type: 'generation' }, { retryDelayMs: 50 });
  return id;
}

async function settled(id: string): Promise<JobRecord> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = await store.get(id);
    if (r && isTerminal(r.status)) return r;
    if (Date.now() > deadline) throw new Error(`job ${id} not terminal: ${JSON.stringify(r)}`);
    await sleep(20);
  }
}

const events = (id: string) =>
  fs
    .readFileSync(paths.jobLog(id), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event?: string; msg: string; fields?: Record<string, unknown> });

/** bee-queue acknowledges a job just after the handler returns, so give it a moment. */
async function queueIsEmpty(): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (!(await queueEmptyNow()) && Date.now() < deadline) await sleep(20);
  return queueEmptyNow();
}

async function queueEmptyNow(): Promise<boolean> {
  const key = (part: string) => `${QUEUE_PREFIX}:${GPU_QUEUE}:${part}`;
  const [jobs, waiting, active, delayed] = await Promise.all([
    testRedis.redis.hlen(key('jobs')),
    testRedis.redis.llen(key('waiting')),
    testRedis.redis.llen(key('active')),
    testRedis.redis.zcard(key('delayed')),
  ]);
  return jobs + waiting + active + delayed === 0;
}

describe('JobProcessor', () => {
  it('a JobDeferredError puts the job back in the queue without spending an attempt, and it runs later', async () => {
    let calls = 0;
    const statuses: string[] = [];
    generation = async (job) => {
      calls++;
      statuses.push((await store.get(job.id))!.status);
      if (calls <= 3) throw new JobDeferredError('Waiting for the training to start', 30);
    };
    const id = await submit();
    const done = await settled(id);
    expect(done).toMatchObject({ status: 'completed', attempts: 1 });
    expect(calls).toBe(4);
    expect(statuses).toEqual(['running', 'running', 'running', 'running']);
    const log = events(id).filter((e) => e.event !== 'job.progress');
    expect(log.map((e) => e.event)).toEqual(['job.start', 'job.deferred', 'job.start', 'job.deferred', 'job.start', 'job.deferred', 'job.start', 'job.complete']);
    expect(log[1]!.msg).toBe('Waiting for the training to start; back in the queue');
    expect(await queueIsEmpty()).toBe(true);
  });

  it('a deferred job cancelled while it waits in the queue is not run again', async () => {
    let calls = 0;
    generation = async () => {
      calls++;
      throw new JobDeferredError('Waiting', 400);
    };
    const id = await submit();
    const deadline = Date.now() + 5000;
    while ((await store.get(id))?.message !== 'Waiting' && Date.now() < deadline) await sleep(10);
    const waiting = await store.update(id, (r) => (r.status === 'queued' ? { ...r, status: 'cancelled', finished_at: new Date().toISOString() } : null));
    expect(waiting?.status).toBe('cancelled');
    await sleep(800);
    expect(calls).toBe(1);
    expect((await store.get(id))?.status).toBe('cancelled');
    expect(await queueIsEmpty()).toBe(true);
  });

  it('a NonRetryableError fails the job for good: no retry, no stall re-run, nothing left in the queue', async () => {
    let calls = 0;
    generation = async () => {
      calls++;
      throw new NonRetryableError('the model file is missing');
    };
    const id = await submit();
    const done = await settled(id);
    expect(done).toMatchObject({ status: 'failed', error: 'the model file is missing', attempts: 1 });
    await sleep(STALL_MS * 4); // several stall checks and the retry delay have passed
    expect(calls).toBe(1);
    expect(await queueIsEmpty()).toBe(true);
    expect(events(id).map((e) => e.event)).toEqual(['job.start', 'job.failed']);
  });

  it('any other failure is retried once after the backoff, starting from scratch', async () => {
    let calls = 0;
    generation = async (_job, ctx) => {
      calls++;
      ctx.progress({ progress: 0.5 });
      if (calls === 1) throw new Error('ComfyUI connection reset');
    };
    const id = await submit();
    const done = await settled(id);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    expect(done.error).toBeUndefined();
    expect(calls).toBe(2);
    const log = events(id);
    expect(log.map((e) => e.event).filter((e) => e !== 'job.progress')).toEqual(['job.start', 'job.retry', 'job.start', 'job.complete']);
    expect(log.find((e) => e.event === 'job.retry')?.msg).toBe('Attempt 1 failed (ComfyUI connection reset); it will be retried');
    expect(await queueIsEmpty()).toBe(true);
  });

  it('a failure on the last attempt is final', async () => {
    let calls = 0;
    generation = async () => {
      calls++;
      throw new Error(`flaky ${calls}`);
    };
    const done = await settled(await submit());
    expect(done).toMatchObject({ status: 'failed', error: 'flaky 2', attempts: 2 });
    expect(calls).toBe(2);
  });

  it('a record its type cannot parse fails without reaching the handler', async () => {
    let calls = 0;
    generation = async () => void calls++;
    const done = await settled(await submit({ model_variant: 'flux-dev', seed: 1 }));
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/^This generation job's record cannot be run \(config\.prompt: /);
    expect(done.attempts).toBe(1);
    expect(calls).toBe(0);
  });

  it('a worker that lost its job to another (stalled past the stall interval) never overwrites that run', async () => {
    let sawAbort = false;
    generation = async (job, ctx) => {
      // What a second worker's start() writes once bee-queue re-delivered the stalled job.
      await store.update(job.id, (r) => ({ ...r, attempts: r.attempts + 1, worker: 'other-w', progress: 0.25 }));
      ctx.progress({ progress: 0.9 });
      await ctx.addOutput({ name: 'late.png', kind: 'image' });
      // The cancel poll notices the record names another worker and aborts this attempt.
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      sawAbort = true;
      throw new Error('aborted');
    };
    const id = await submit();
    const deadline = Date.now() + 10_000;
    const superseded = () => fs.existsSync(paths.jobLog(id)) && events(id).some((e) => e.event === 'job.superseded');
    while (!superseded() && Date.now() < deadline) await sleep(20);
    await sleep(200); // anything the stale attempt would still write has had its chance
    expect(sawAbort).toBe(true);
    expect(await store.get(id)).toMatchObject({ status: 'running', worker: 'other-w', attempts: 2, progress: 0.25, outputs: [] });
    const log = events(id).filter((e) => e.event !== 'job.progress'); // the stale attempt's own milestones stay
    expect(log.map((e) => e.event)).toEqual(['job.start', 'job.superseded']);
    expect(log[1]!.fields).toMatchObject({ attempt: 1, worker: 'unit-w', current_worker: 'other-w', current_attempt: 2 });
    await store.update(id, (r) => ({ ...r, status: 'cancelled', finished_at: new Date().toISOString() })); // tidy for later tests
  });

  it('logs each progress decile once, however often the handler reports it', async () => {
    generation = async (_job, ctx) => {
      for (let i = 1; i <= 40; i++) {
        ctx.progress({ progress: i / 40, current_step: i, total_steps: 40 });
        ctx.progress({ progress: i / 40, current_step: i, total_steps: 40 }); // repeats change nothing
      }
    };
    const id = await submit();
    expect((await settled(id)).status).toBe('completed');
    const milestones = events(id).filter((e) => e.event === 'job.progress');
    expect(milestones.map((e) => e.msg)).toEqual(Array.from({ length: 10 }, (_, i) => `Progress ${(i + 1) * 10}%`));
  });
});
