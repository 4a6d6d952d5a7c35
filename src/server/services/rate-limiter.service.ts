/** Fixed-window counters in Redis, shared by every API process (DESIGN §11). */
import type { Redis } from 'ioredis';
import { AppError } from '../../shared/errors.js';
import { KEY_PREFIX, withRedis } from '../../shared/node/redis.js';

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: number,
  ) {}

  async hit(client: string, _what: string): Promise<void> {
    const windowStart = Math.floor(Date.now() / 60_000);
    const key = `${KEY_PREFIX}rl:${client}:${windowStart}`;
    const [[, count]] = (await withRedis(() => this.redis.multi().incr(key).expire(key, 61).exec())) as [[unknown, number]];
    if (count > this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil(((windowStart + 1) * 60_000 - Date.now()) / 1000));
      throw new AppError('TOO_MANY_REQUESTS', `Too many requests: at most ${this.perMinute} changes per minute; retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
  }
}
