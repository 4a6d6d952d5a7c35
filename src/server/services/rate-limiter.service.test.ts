import { describe, expect, it, vi } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import { RateLimiter } from './rate-limiter.service.js';

const testRedis = useTestRedis();

describe('RateLimiter', () => {
  it('a burst straddling a minute boundary cannot get twice the limit', async () => {
    const limiter = new RateLimiter(testRedis.redis, 5);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 55); // 5 s before a minute ends
    const now = vi.spyOn(Date, 'now').mockReturnValue(t0);
    try {
      for (let i = 0; i < 5; i++) await limiter.hit('edge', 'x');
      now.mockReturnValue(t0 + 6000); // 1 s into the next minute: the last minute still weighs ~98 %
      await expect(limiter.hit('edge', 'x')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      now.mockReturnValue(t0 + 65_000 + 60_000); // both windows long past
      await expect(limiter.hit('edge', 'x')).resolves.toBeUndefined();
    } finally {
      now.mockRestore();
    }
  });

  it('clients have separate budgets and the error carries Retry-After seconds', async () => {
    const limiter = new RateLimiter(testRedis.redis, 2);
    await limiter.hit('a', 'x');
    await limiter.hit('a', 'x');
    const err = await limiter.hit('a', 'x').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((err as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
    await expect(limiter.hit('b', 'x')).resolves.toBeUndefined();
  });
});
