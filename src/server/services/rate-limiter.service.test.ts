import { describe, expect, it, vi } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import { RateLimiter } from './rate-limiter.service.js';

const testRedis = useTestRedis();

describe('RateLimiter', () => {
  it('a burst straddling a minute boundary cannot get twice the limit', async () => {
    const limiter = new RateLimiter(testRedis.redis, { changes: 5, 'auth-failures': 100 });
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 55); // 5 s before a minute ends
    const now = vi.spyOn(Date, 'now').mockReturnValue(t0);
    try {
      for (let i = 0; i < 5; i++) await limiter.hit('edge', 'changes');
      now.mockReturnValue(t0 + 6000); // 1 s into the next minute: the last minute still weighs ~98 %
      await expect(limiter.hit('edge', 'changes')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
      now.mockReturnValue(t0 + 65_000 + 60_000); // both windows long past
      await expect(limiter.hit('edge', 'changes')).resolves.toBeUndefined();
    } finally {
      now.mockRestore();
    }
  });

  it('clients have separate budgets and the error carries Retry-After seconds', async () => {
    const limiter = new RateLimiter(testRedis.redis, { changes: 2, 'auth-failures': 100 });
    await limiter.hit('a', 'changes');
    await limiter.hit('a', 'changes');
    const err = await limiter.hit('a', 'changes').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect((err as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
    await expect(limiter.hit('b', 'changes')).resolves.toBeUndefined();
  });

  it('each bucket has its own budget and its own sentence; check() never counts', async () => {
    const limiter = new RateLimiter(testRedis.redis, { changes: 3, 'auth-failures': 2 });
    await limiter.hit('shared', 'auth-failures');
    await limiter.hit('shared', 'auth-failures');
    await expect(limiter.check('shared', 'auth-failures')).rejects.toThrow(/^Too many failed authentications: at most 2 per minute; retry in \d+ s$/);
    await expect(limiter.hit('shared', 'auth-failures')).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    // Spent failures leave the changes of the same client untouched.
    for (let i = 0; i < 3; i++) await limiter.hit('shared', 'changes');
    await expect(limiter.hit('shared', 'changes')).rejects.toThrow(/^Too many requests: at most 3 changes per minute; retry in \d+ s$/);
    for (let i = 0; i < 10; i++) await limiter.check('fresh', 'auth-failures');
    await expect(limiter.hit('fresh', 'auth-failures')).resolves.toBeUndefined();
  });
});
