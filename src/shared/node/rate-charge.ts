/**
 * One request counted against its client's rate limit (src/server/services/rate-limiter.service.ts)
 * inside another Redis script, so a write and its count are one round trip and one atomic step:
 * the job store's create takes one (bench/enqueue.bench.ts). The limit is a sliding-window estimate:
 * this minute's count plus the previous minute's, weighted by how much of it still overlaps.
 */

export interface RateCharge {
  /** This window's counter, then the previous window's. */
  readonly keys: readonly [string, string];
  /** This window's counter expiry (ms), the limit, and the previous window's weight right now. */
  readonly args: readonly [number, number, number];
  /** Set once a script has counted the request (whatever it then decided). */
  spent: boolean;
  /** The 429 for counts the script judged past the limit. */
  refuse(current: number, previous: number): never;
}

/**
 * Lua that counts one event in the counter `current` (kept `expiry` ms) and reads `previous`,
 * leaving `rate_current` and `rate_previous`. The arguments are Lua expressions (`KEYS[1]`, `ARGV[5]`).
 */
export function rateCountLua(e: { current: string; previous: string; expiry: string }): string {
  return `
local rate_current = redis.call('INCR', ${e.current})
redis.call('PEXPIRE', ${e.current}, ${e.expiry})
local rate_previous = tonumber(redis.call('GET', ${e.previous}) or '0')
`;
}

/** Lua: true when those counts are past `limit`, the previous window weighted by `overlap` (as the limiter judges). */
export function rateOverLua(e: { limit: string; overlap: string }): string {
  return `(rate_current + rate_previous * tonumber(${e.overlap}) > tonumber(${e.limit}))`;
}
