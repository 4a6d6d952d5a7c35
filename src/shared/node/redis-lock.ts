/**
 * A short mutual-exclusion lock across processes (SET NX PX + compare-and-delete), for
 * read-modify-write of files on the shared volume by several API processes.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { KEY_PREFIX, withRedis } from './redis.js';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export type LockFn = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export function redisLock(redis: Redis, opts: { ttlMs?: number; waitMs?: number } = {}): LockFn {
  const ttlMs = opts.ttlMs ?? 15_000;
  const waitMs = opts.waitMs ?? 15_000;
  return async (name, fn) => {
    const key = `${KEY_PREFIX}lock:${name}`;
    const token = randomBytes(8).toString('hex');
    const deadline = Date.now() + waitMs;
    while ((await withRedis(() => redis.set(key, token, 'PX', ttlMs, 'NX'))) !== 'OK') {
      if (Date.now() > deadline) throw new AppError('SERVICE_UNAVAILABLE', `'${name}' is busy; try again`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
    try {
      return await fn();
    } finally {
      await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
    }
  };
}
