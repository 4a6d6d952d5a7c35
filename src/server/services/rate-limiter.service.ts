/**
 * Per-client limits on changes, shared by every API process through Redis.
 * A sliding-window estimate (this minute's count plus the previous minute's, weighted by how
 * much of it still overlaps the last 60 s), so a burst across a minute boundary cannot double
 * the limit as a fixed window would.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../../shared/errors.js';
import { KEY_PREFIX, withRedis } from '../../shared/node/redis.js';

const WINDOW_MS = 60_000;

export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly perMinute: number,
  ) {}

  async hit(client: string, _what: string): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const key = (w: number) => `${KEY_PREFIX}rl:${client}:${w}`;
    const reply = await withRedis(() => this.redis.multi().incr(key(window)).pexpire(key(window), 2 * WINDOW_MS).get(key(window - 1)).exec());
    const current = Number(reply?.[0]?.[1] ?? 0);
    const previous = Number(reply?.[2]?.[1] ?? 0);
    const overlap = 1 - (now % WINDOW_MS) / WINDOW_MS;
    if (current + previous * overlap > this.perMinute) {
      const retryAfter = Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000));
      throw new AppError('TOO_MANY_REQUESTS', `Too many requests: at most ${this.perMinute} changes per minute; retry in ${retryAfter} s`, {
        retryAfter,
      });
    }
  }
}
