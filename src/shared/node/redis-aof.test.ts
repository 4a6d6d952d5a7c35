import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedis } from '../../../tests/helpers/redis-server.js';
import { rewriteAofIfEnabled } from './redis-aof.js';

describe('rewriteAofIfEnabled', () => {
  it('rewrites only when appendonly is on, and treats a running rewrite as done', async () => {
    for (const aof of [false, true]) {
      const server = await startRedis({ aof });
      const redis = new Redis(server.url);
      try {
        if (!aof) {
          expect(await rewriteAofIfEnabled(redis)).toBe('aof-off');
          continue;
        }
        const before = Number((await redis.info('persistence')).match(/aof_rewrites:(\d+)/)?.[1] ?? 0);
        const results = [await rewriteAofIfEnabled(redis), await rewriteAofIfEnabled(redis)];
        expect(results[0]).toBe('started');
        expect(['started', 'already-running']).toContain(results[1]);
        await expect.poll(async () => Number((await redis.info('persistence')).match(/aof_rewrites:(\d+)/)?.[1] ?? 0), { timeout: 10_000 }).toBeGreaterThan(before);
      } finally {
        redis.disconnect();
        await server.stop();
      }
    }
  }, 30_000);
});
