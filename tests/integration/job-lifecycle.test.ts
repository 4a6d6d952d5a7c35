/** Cancel, worker death, graceful stop and live updates, against real worker processes. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startStack, waitForLine, type Stack } from '../helpers/stack.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';
import { Redis } from 'ioredis';
import { GPU_QUEUE, QUEUE_PREFIX } from '../../src/shared/node/queues.js';

let stack: Stack;
let characterId: string;
beforeAll(async () => {
  // 20 ms per mock step: a 1000-step training runs ~20 s, long enough to act on mid-run.
  stack = await startStack({ env: { MOCK_STEP_MS: '20', WORKER_STOP_GRACE_SECONDS: '1' } });
  characterId = await characterWithImages(stack, 1, 'life_person');
});
afterAll(async () => stack?.stop());
// Each test brings its own workers; none may outlive it and steal the next test's jobs.
afterEach(async () => {
  for (const w of stack.workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await Promise.all(stack.workers.map((w) => w.exited));
});

function parseData(line: string): unknown {
  try {
    return JSON.parse(line.slice(6));
  } catch {
    return null; // pings carry no JSON
  }
}

const startTraining = async (cid: string, steps = 1000) =>
  (await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps } }, { headers: { 'X-Correlation-ID': cid } })).body;

describe('cancel', () => {
  it('a queued job is cancelled at once, a running one stops its backend', async () => {
    await stack.spawnWorker({ WORKER_NAME: 'cancel-w' });
    const running = await startTraining('cancel-run');
    await stack.waitFor(running.id, (r) => r.status === 'running' && (r.current_step ?? 0) > 5);
    const { body: queued } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'x', steps: 1 } });

    const cq = await stack.call<JobRecord>('generation.cancel', { id: queued.id }, { headers: { 'X-Correlation-ID': 'who-cancelled-q' } });
    expect(cq.body.status).toBe('cancelled');
    expect(cq.body.cancelled_by).toBe('who-cancelled-q');
    expect(cq.body.cancel_requested_at).toBeTruthy();
    expect((await readLogLines(stack.url, queued.id)).map((l) => l.event)).toEqual(['job.queued', 'job.cancelled']);

    const cr = await stack.call<JobRecord>('training.cancel', { id: running.id }, { headers: { 'X-Correlation-ID': 'who-cancelled-r' } });
    expect(cr.status).toBe(200);
    const done = await stack.waitFor(running.id, undefined, 10_000);
    expect(done.status).toBe('cancelled');
    expect(done.cancelled_by).toBe('who-cancelled-r');
    expect(done.current_step).toBeLessThan(1000);
    const log = await readLogLines(stack.url, running.id);
    expect(log.at(-1)).toMatchObject({ event: 'job.cancelled', service: 'worker' });

    const again = await stack.call<{ message: string }>('training.cancel', { id: running.id });
    expect(again.status).toBe(409);
    expect(again.body.message).toBe(`Job '${running.id}' is already cancelled`);
    // The cancelled queued generation never ran.
    expect((await stack.api.infra.store.get(queued.id))?.started_at).toBeUndefined();
  });
});

describe('live updates over SSE', () => {
  it('jobs.onUpdate sends the current record first, then changes, and ends at a terminal status', async () => {
    await stack.spawnWorker({ WORKER_NAME: 'sse-w' });
    const job = await startTraining('sse', 100);
    const res = await fetch(`${stack.url}/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId: job.id }))}`, {
      headers: { accept: 'text/event-stream' },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text(); // the stream ends by itself once the job is terminal
    const records = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map(parseData)
      .filter((d): d is JobRecord => typeof d === 'object' && d !== null && 'status' in d);
    expect(records.length).toBeGreaterThan(2);
    expect(records.at(-1)!.status).toBe('completed');
    const revs = records.map((r) => r.rev);
    expect([...revs].sort((a, b) => a - b)).toEqual(revs);
    expect(new Set(revs).size).toBe(revs.length);
    // Output additions are published at once; progress changes are throttled.
    const progress = records.filter((r, i) => r.status === 'running' && r.progress !== records[i - 1]?.progress).map((r) => r.progress);
    expect(progress.length).toBeGreaterThan(0);
    // ≤ ~4 progress writes per second per job
    const seconds = (Date.parse(records.at(-1)!.finished_at!) - Date.parse(records.find((r) => r.started_at)!.started_at!)) / 1000;
    expect(progress.length).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 4);
  });
});

describe('worker death', () => {
  it('a SIGKILLed worker\'s job is re-run once (job.retry), and failed with a reason if it dies again', async () => {
    const w1 = await stack.spawnWorker({ WORKER_NAME: 'doomed-1' });
    const job = await startTraining('kill-me');
    await stack.waitFor(job.id, (r) => r.status === 'running' && r.attempts === 1 && (r.current_step ?? 0) > 3);
    w1.child.kill('SIGKILL');
    await w1.exited;
    const w2 = await stack.spawnWorker({ WORKER_NAME: 'doomed-2' });
    const retried = await stack.waitFor(job.id, (r) => r.attempts === 2 && r.status === 'running', 20_000);
    expect(retried.worker).toBe('doomed-2');
    // The record says running a moment before the worker writes job.start: kill after that line.
    await stack.waitFor(job.id, (r) => (r.current_step ?? 0) > 3 && r.attempts === 2, 20_000);
    w2.child.kill('SIGKILL');
    await w2.exited;
    await stack.spawnWorker({ WORKER_NAME: 'survivor' });
    const failed = await stack.waitFor(job.id, undefined, 20_000);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/Worker stopped responding while running this job \(2 attempts\)/);
    const events = (await readLogLines(stack.url, job.id)).map((l) => l.event);
    expect(events.filter((e) => e === 'job.start')).toHaveLength(2);
    expect(events).toContain('job.retry');
    expect(events.at(-1)).toBe('job.failed');
  }, 60_000); // three worker start-ups and two stall detections: slow on a loaded machine
});

describe('graceful stop', () => {
  it('SIGTERM stops taking jobs and cancels the running one after the grace period, saying so', async () => {
    const w = await stack.spawnWorker({ WORKER_NAME: 'sigterm-w' });
    const job = await startTraining('sigterm');
    await stack.waitFor(job.id, (r) => r.status === 'running' && (r.current_step ?? 0) > 3);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const done = await stack.waitFor(job.id, undefined, 5000);
    expect(done.status).toBe('cancelled');
    expect(done.message).toBe('Cancelled: worker shutting down');
    expect(done.cancelled_by).toBe('worker:sigterm-w');
    await waitForLine(w, /worker stopped/);
  });
});

describe('subscription errors', () => {
  it('an unknown job id is a plain 404, not an endless reconnect', async () => {
    const res = await fetch(`${stack.url}/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId: 'training-000000000000' }))}`, {
      headers: { accept: 'text/event-stream' },
    });
    const text = await res.text();
    expect(text).toContain('NOT_FOUND');
    expect(text).not.toContain('INTERNAL_SERVER_ERROR');
  });
});

describe('one GPU queue: idle workers take jobs, a job runs once', () => {
  it('a job never waits behind a busy worker: it stays queued until a worker is idle, and an idle worker takes it at once', async () => {
    await stack.spawnWorker({ WORKER_NAME: 'busy-w' });
    const training = await startTraining('idle-train');
    await stack.waitFor(training.id, (r) => r.status === 'running');
    const { body: waiting } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'x', width: 512, height: 512, steps: 1 } });
    await new Promise((r) => setTimeout(r, 700)); // the only worker is busy: nobody has taken it
    expect((await stack.api.infra.store.get(waiting.id))?.status).toBe('queued');
    await stack.spawnWorker({ WORKER_NAME: 'idle-w' });
    const first = await stack.waitFor(waiting.id, undefined, 15_000);
    expect(first).toMatchObject({ status: 'completed', worker: 'idle-w', attempts: 1 });
    // With both workers up, a job submitted behind the long training starts on the idle one.
    const { body: next } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'y', width: 512, height: 512, steps: 1 } });
    const second = await stack.waitFor(next.id, undefined, 15_000);
    expect(second).toMatchObject({ status: 'completed', worker: 'idle-w', attempts: 1 });
    expect((await stack.api.infra.store.get(training.id))?.status).toBe('running');
    for (const id of [waiting.id, next.id]) {
      expect((await readLogLines(stack.url, id)).filter((l) => l.event === 'job.start')).toHaveLength(1);
    }
    await stack.call('training.cancel', { id: training.id });
    await stack.waitFor(training.id);
  });

  it('a second delivery of a running job is dropped, not run twice (the lease)', async () => {
    await stack.spawnWorker({ WORKER_NAME: 'runner-w' });
    const training = await startTraining('dup', 300);
    await stack.waitFor(training.id, (r) => r.status === 'running');
    await stack.spawnWorker({ WORKER_NAME: 'spare-w' });
    // What bee-queue's checkStalledJobs.lua does to a job whose worker missed its renewals (a
    // Redis blip, a long GC pause) although the worker is alive and still running it.
    const redis = new Redis(stack.redis.url);
    try {
      const key = (part: string) => `${QUEUE_PREFIX}:${GPU_QUEUE}:${part}`;
      expect(await redis.lrem(key('active'), 0, training.id)).toBe(1);
      await redis.lpush(key('waiting'), training.id);
      const done = await stack.waitFor(training.id, undefined, 30_000);
      expect(done.status).toBe('completed');
      expect(done.attempts).toBe(1);
      expect(done.worker).toBe('runner-w');
      const events = (await readLogLines(stack.url, training.id)).map((l) => l.event);
      expect(events.filter((e) => e === 'job.start')).toHaveLength(1);
      expect(events).not.toContain('job.retry');
      const spare = stack.workers.find((w) => w.output.some((l) => l.includes('"worker":"spare-w"')))!;
      expect(spare.output.some((l) => l.includes('second delivery of a job that is running elsewhere'))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });
});
