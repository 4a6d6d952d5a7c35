/**
 * Upgrade path from the per-type queues (`training`, `generation`) that existed before the one
 * GPU queue. A worker moves whatever it finds there into the GPU queue once at start, so jobs
 * queued by an older version in the same Redis still run:
 * - waiting and delayed jobs move as they are;
 * - an active job moves only when no worker holds its lease (its worker died). One an old worker
 *   is still running stays where it is, and that worker acknowledges it there.
 * Jobs an old API enqueues after this worker started stay in the old queue until a worker
 * restarts: upgrade APIs and workers together.
 */
import type { Redis } from 'ioredis';
import type { JobType } from '../shared/jobs.js';
import { enqueue, QUEUE_PREFIX, type JobQueue } from '../shared/node/queues.js';
import type { JobStore } from '../shared/node/job-store.js';

// The job types that had a queue of their own before the GPU queue; newer types never did.
const LEGACY_QUEUES: readonly JobType[] = ['training', 'generation'];

interface LegacyJobData {
  data?: { id?: unknown; correlation_id?: unknown };
}

export async function drainLegacyQueues(redis: Redis, store: JobStore, queue: JobQueue): Promise<string[]> {
  const moved: string[] = [];
  for (const name of LEGACY_QUEUES) {
    const key = (part: string) => `${QUEUE_PREFIX}:${name}:${part}`;
    const [waiting, delayed, active] = await Promise.all([
      redis.lrange(key('waiting'), 0, -1),
      redis.zrange(key('delayed'), '0', '-1'),
      redis.lrange(key('active'), 0, -1),
    ]);
    const candidates = [...waiting, ...delayed];
    for (const bqId of active) {
      const raw = await redis.hget(key('jobs'), bqId);
      const id = raw ? parse(raw)?.id : undefined;
      if (!id || !(await store.leaseHolder(id))) candidates.push(bqId);
    }
    for (const bqId of new Set(candidates)) {
      const raw = await redis.hget(key('jobs'), bqId);
      const payload = raw ? parse(raw) : null;
      // A hand-over of the old version re-queued a job as `id~rand`: the payload has the real id.
      if (payload) {
        await enqueue(queue, { id: payload.id, correlation_id: payload.correlation_id, type: name });
        moved.push(payload.id);
      }
      await redis
        .multi()
        .lrem(key('waiting'), 0, bqId)
        .lrem(key('active'), 0, bqId)
        .zrem(key('delayed'), bqId)
        .srem(key('stalling'), bqId)
        .hdel(key('jobs'), bqId)
        .exec();
    }
  }
  return moved;
}

function parse(raw: string): { id: string; correlation_id: string } | null {
  try {
    const { data } = JSON.parse(raw) as LegacyJobData;
    if (typeof data?.id !== 'string') return null;
    return { id: data.id, correlation_id: typeof data.correlation_id === 'string' ? data.correlation_id : 'unknown' };
  } catch {
    return null;
  }
}
