/**
 * Redis connections. ioredis for records, indexes, pub/sub and rate limits; bee-queue gets plain
 * connection options for its own client (handing it an ioredis instance silently misconnects).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { AppError } from '../errors.js';

export const KEY_PREFIX = 'isengard:';

export function createRedis(url: string, opts: RedisOptions = {}): Redis {
  return new Redis(url, {
    // Fail fast while Redis is down so callers answer 503 instead of hanging.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
    ...opts,
  });
}

/** A subscriber connection may queue SUBSCRIBE before it is connected. */
export function createSubscriber(url: string): Redis {
  return createRedis(url, { enableOfflineQueue: true, maxRetriesPerRequest: null });
}

export interface BeeQueueRedisOptions {
  host: string;
  port: number;
  db: number;
  password?: string;
  username?: string;
  retry_strategy: (opts: { attempt: number }) => number;
}

export function beeQueueRedisOptions(url: string): BeeQueueRedisOptions {
  const u = new URL(url);
  const db = Number(u.pathname.replace(/^\//, '') || '0');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    db: Number.isInteger(db) ? db : 0,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    // node-redis v3 gives up after a few attempts by default; keep trying so a restarted Redis is rejoined.
    retry_strategy: ({ attempt }) => Math.min(attempt * 200, 2000),
  };
}

/** Turns connection-level failures and refused writes into SERVICE_UNAVAILABLE; rethrows the rest untouched. */
export async function withRedis<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (isWriteRefusal(err)) throw writeRefusalError(err);
    if (isConnectionError(err)) throw new AppError('SERVICE_UNAVAILABLE', 'Redis is unavailable', { cause: err });
    throw err;
  }
}

/**
 * Redis answers but refuses writes: out of memory under `noeviction`, a read-only replica, or a
 * failed background save (`stop-writes-on-bgsave-error`). Reads still work, so a plain PING says ok.
 */
export function isWriteRefusal(err: unknown): err is Error {
  return refusal(err) !== null;
}

/** The refusing reply itself; a MULTI whose commands were refused fails as EXECABORT with them inside. */
function refusal(err: unknown): Error | null {
  if (!(err instanceof Error)) return null;
  if (/^(OOM|READONLY|MISCONF|NOREPLICAS)\b/.test(err.message)) return err;
  const previous = (err as { previousErrors?: unknown[] }).previousErrors;
  if (/^EXECABORT\b/.test(err.message) && Array.isArray(previous)) return previous.map(refusal).find((e) => e !== null) ?? null;
  return null;
}

/** The first word of Redis's reply says why: OOM, READONLY, MISCONF or NOREPLICAS. */
export function writeRefusalReason(err: Error): string {
  return (refusal(err) ?? err).message.split(' ')[0]!;
}

export function writeRefusalError(err: Error): AppError {
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `Redis refuses writes (${writeRefusalReason(err)}): nothing was changed; free memory in Redis (maxmemory) or point REDIS_URL at a writable primary`,
    { cause: err },
  );
}

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const text = `${err.name} ${err.message} ${(err as { code?: string }).code ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection is closed|Stream isn't writeable|enableOfflineQueue|MaxRetriesPerRequest|NR_CLOSED|connect|LOADING|MISCONF/i.test(text);
}
