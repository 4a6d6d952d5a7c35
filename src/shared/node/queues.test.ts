import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import { createQueue, enqueue, GPU_QUEUE, QUEUE_PREFIX, type JobQueue } from './queues.js';

const testRedis = useTestRedis();
let queue: JobQueue;
const key = (part: string) => `${QUEUE_PREFIX}:${GPU_QUEUE}:${part}`;

beforeAll(() => {
  queue = createQueue(testRedis.server.url, { isWorker: false });
});
afterAll(async () => queue?.close(1000));

describe('the GPU queue', () => {
  it('keeps no Job objects in the producing process (an API would grow with every request)', async () => {
    for (let i = 0; i < 20; i++) await enqueue(queue, { id: `generation-${String(i).padStart(12, '0')}`, correlation_id: 'c', type: 'generation' });
    expect((queue as unknown as { jobs: Map<string, unknown> }).jobs.size).toBe(0);
    expect(await testRedis.redis.llen(key('waiting'))).toBe(20);
  });

  it('uses the record id as the job id: enqueueing a job twice queues it once, and cancel removes it by id', async () => {
    const payload = { id: 'training-00000000000a', correlation_id: 'c', type: 'training' } as const;
    await enqueue(queue, payload);
    await enqueue(queue, payload);
    const waiting = await testRedis.redis.lrange(key('waiting'), 0, -1);
    expect(waiting.filter((id) => id === payload.id)).toHaveLength(1);
    const stored = JSON.parse((await testRedis.redis.hget(key('jobs'), payload.id))!) as { data: unknown; options: { retries: number } };
    expect(stored.data).toEqual(payload);
    expect(stored.options.retries).toBe(1);
    await queue.removeJob(payload.id);
    expect(await testRedis.redis.lrange(key('waiting'), 0, -1)).not.toContain(payload.id);
    expect(await testRedis.redis.hexists(key('jobs'), payload.id)).toBe(0);
  });
});
