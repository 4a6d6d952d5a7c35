/**
 * Per-client limits (shared by every API process through Redis), one budget per bucket:
 * - `changes`: mutations and uploads;
 * - `auth-failures`: requests whose credentials were wrong, on any route. A bucket of its own, so
 *   that someone guessing tokens from a shared proxy address cannot spend the changes of the
 *   real token holder behind the same address.
 * A sliding-window estimate (this minute's count plus the previous minute's, weighted by how
 * much of it still overlaps the last 60 s), so a burst across a minute boundary cannot double
 * the limit as a fixed window would.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../../shared/errors.js';
import { KEY_PREFIX, withRedis } from '../../shared/node/redis.js';
import { redisScript, type RedisScript } from '../../shared/node/redis-script.js';
import { rateCountLua, type RateCharge } from '../../shared/node/rate-charge.js';

const WINDOW_MS = 60_000;

/**
 * One hit, atomically and in one round trip: count it in this minute's key (kept two minutes, long
 * enough to be the next minute's "previous"), and read the previous minute's count.
 * KEYS = this minute, previous minute; ARGV = expiry in ms. Returns {current, previous}; judged here.
 */
const HIT_SCRIPT = `${rateCountLua({ current: 'KEYS[1]', previous: 'KEYS[2]', expiry: 'ARGV[1]' })}
return {rate_current, rate_previous}
`;

export type RateBucket = 'changes' | 'auth-failures';

const WHAT: Record<RateBucket, (limit: number) => string> = {
  changes: (limit) => `Too many requests: at most ${limit} changes per minute`,
  'auth-failures': (limit) => `Too many failed authentications: at most ${limit} per minute`,
};

export class RateLimiter {
  private readonly hitScript: RedisScript;

  constructor(
    private readonly redis: Redis,
    private readonly limits: Record<RateBucket, number>,
  ) {
    this.hitScript = redisScript(redis, 'isengardRateHit', HIT_SCRIPT);
  }

  private key(bucket: RateBucket, client: string, window: number): string {
    return `${KEY_PREFIX}rl:${bucket}:${client}:${window}`;
  }

  /** Counts one event in `bucket`; throws TOO_MANY_REQUESTS once the client is past its limit. */
  async hit(client: string, bucket: RateBucket): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const current = this.key(bucket, client, window);
    const [count, previous] = (await withRedis(() => this.hitScript([current, this.key(bucket, client, window - 1)], [2 * WINDOW_MS]))) as [number, number];
    this.judge(bucket, now, count, previous);
  }

  /**
   * The same count, made by another script in its own round trip (the job store's create): it
   * counts, and writes nothing when the counts are past the limit. Nothing is counted until then.
   */
  charge(client: string, bucket: RateBucket): RateCharge {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const limit = this.limits[bucket];
    return {
      keys: [this.key(bucket, client, window), this.key(bucket, client, window - 1)],
      args: [2 * WINDOW_MS, limit, overlapAt(now)],
      spent: false,
      refuse: (current, previous) => {
        this.judge(bucket, now, current, previous);
        throw tooMany(bucket, limit, now); // the script judged the same numbers past the limit
      },
    };
  }

  /** Throws TOO_MANY_REQUESTS when the client is already past its limit, without counting. */
  async check(client: string, bucket: RateBucket): Promise<void> {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    const [current, previous] = await withRedis(() => this.redis.mget(this.key(bucket, client, window), this.key(bucket, client, window - 1)));
    // `>=`: one more event would be past the limit, so the next one must not be judged at all.
    this.judge(bucket, now, Number(current ?? 0) + 1, Number(previous ?? 0));
  }

  private judge(bucket: RateBucket, now: number, current: number, previous: number): void {
    const limit = this.limits[bucket];
    if (current + previous * overlapAt(now) > limit) throw tooMany(bucket, limit, now);
  }
}

/** How much of the previous window still lies within the last minute. */
const overlapAt = (now: number) => 1 - (now % WINDOW_MS) / WINDOW_MS;

function tooMany(bucket: RateBucket, limit: number, now: number): AppError {
  const retryAfter = Math.max(1, Math.ceil((Math.floor(now / WINDOW_MS + 1) * WINDOW_MS - now) / 1000));
  return new AppError('TOO_MANY_REQUESTS', `${WHAT[bucket](limit)}; retry in ${retryAfter} s`, { retryAfter });
}
