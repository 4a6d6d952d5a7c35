/**
 * Upgrading from the per-type queues: jobs an older version left in `training`/`generation` in
 * the same Redis are moved to the GPU queue by a worker at start, and run.
 */
import BeeQueue from 'bee-queue';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { GPU_QUEUE, QUEUE_PREFIX } from '../../src/shared/node/queues.js';
import { beeQueueRedisOptions } from '../../src/shared/node/redis.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { readLogLines } from '../helpers/fixtures.js';

let stack: Stack;
let redis: Redis;
beforeAll(async () => {
  stack = await startStack();
  redis = new Redis(stack.redis.url);
});
afterAll(async () => {
  redis?.disconnect();
  await stack?.stop();
});

const oldKey = (part: string) => `${QUEUE_PREFIX}:generation:${part}`;
const newKey = (part: string) => `${QUEUE_PREFIX}:${GPU_QUEUE}:${part}`;

describe('jobs left in the old per-type queues', () => {
  it('are moved to the GPU queue by a starting worker and run once', async () => {
    // The old version's queue for generation jobs: same prefix, named after the job type.
    const old = new BeeQueue('generation', { prefix: QUEUE_PREFIX, redis: beeQueueRedisOptions(stack.redis.url) as never, isWorker: false, getEvents: false, sendEvents: false });
    try {
      const start = async (prompt: string) => (await stack.call<JobRecord>('generation.start', { config: { prompt, width: 512, height: 512, steps: 1 } })).body;
      const waiting = await start('left waiting');
      const handedOver = await start('handed over');
      const orphaned = await start('its old worker died');
      const stillRunning = await start('an old worker is still running it');
      // No worker yet: take them out of the GPU queue and put them where the old API would have.
      for (const job of [waiting, handedOver, orphaned, stillRunning]) await redis.multi().lrem(newKey('waiting'), 0, job.id).hdel(newKey('jobs'), job.id).exec();
      await old.createJob({ id: waiting.id, correlation_id: waiting.correlation_id }).setId(waiting.id).save();
      // The old hand-over re-queued a job under `id~rand`.
      await old.createJob({ id: handedOver.id, correlation_id: handedOver.correlation_id }).setId(`${handedOver.id}~a1b2c3`).save();
      // An old worker took this one (active, record running) and died: no lease is left.
      await old.createJob({ id: orphaned.id, correlation_id: orphaned.correlation_id }).setId(orphaned.id).save();
      await redis.multi().lrem(oldKey('waiting'), 0, orphaned.id).lpush(oldKey('active'), orphaned.id).exec();
      await stack.api.infra.store.update(orphaned.id, (r) => ({ ...r, status: 'running', attempts: 1, worker: 'old-worker', started_at: new Date().toISOString() }));
      // This one an old worker is still running: it holds the lease, so the job stays where that worker acknowledges it.
      await old.createJob({ id: stillRunning.id, correlation_id: stillRunning.correlation_id }).setId(stillRunning.id).save();
      await redis.multi().lrem(oldKey('waiting'), 0, stillRunning.id).lpush(oldKey('active'), stillRunning.id).set(`isengard:job-lease:${stillRunning.id}`, 'old-worker', 'PX', 60_000).exec();
      await stack.api.infra.store.update(stillRunning.id, (r) => ({ ...r, status: 'running', attempts: 1, worker: 'old-worker', started_at: new Date().toISOString() }));

      const worker = await stack.spawnWorker({ WORKER_NAME: 'upgraded-w' });
      for (const job of [waiting, handedOver]) {
        expect(await stack.waitFor(job.id, undefined, 15_000)).toMatchObject({ status: 'completed', attempts: 1, worker: 'upgraded-w' });
      }
      expect(await stack.waitFor(orphaned.id, undefined, 15_000)).toMatchObject({ status: 'completed', attempts: 2, worker: 'upgraded-w' });
      expect((await readLogLines(stack.url, orphaned.id)).map((l) => l.event)).toContain('job.retry');
      expect(worker.output.some((l) => l.includes('moved jobs from the old per-type queues'))).toBe(true);
      // Nothing else is left in the old queue; the GPU queue never got the still-running job.
      expect(await redis.lrange(oldKey('active'), 0, -1)).toEqual([stillRunning.id]);
      expect(await redis.hkeys(oldKey('jobs'))).toEqual([stillRunning.id]);
      expect(await redis.llen(oldKey('waiting'))).toBe(0);
      expect(await stack.api.infra.store.get(stillRunning.id)).toMatchObject({ status: 'running', attempts: 1, worker: 'old-worker' });
      expect(await redis.hlen(newKey('jobs'))).toBe(0);
    } finally {
      await old.close(1000);
    }
  });
});
