/**
 * Redis' append-only file keeps the text of old commands (prompts included) until it is
 * rewritten from the current data. After scrubbing records, a purge asks for that rewrite.
 */
import type { Redis } from 'ioredis';

export type AofRewrite = 'started' | 'already-running' | 'aof-off';

/** BGREWRITEAOF when appendonly is on. Throws when Redis refuses CONFIG (e.g. renamed away). */
export async function rewriteAofIfEnabled(redis: Redis): Promise<AofRewrite> {
  const reply = (await redis.config('GET', 'appendonly')) as string[];
  if (reply[1] !== 'yes') return 'aof-off';
  try {
    await redis.bgrewriteaof();
    return 'started';
  } catch (err) {
    // Another rewrite is running (or scheduled): it writes the same scrubbed data.
    if (/already in progress|scheduled/i.test((err as Error).message)) return 'already-running';
    throw err;
  }
}
