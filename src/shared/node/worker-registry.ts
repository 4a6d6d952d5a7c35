/**
 * Live workers: each heartbeats into a ZSET; /api/health counts the recent ones. Idle workers
 * (GPU free) are listed too, so a busy worker can hand a waiting job to one of them.
 */
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';

const KEY = `${KEY_PREFIX}workers`;
const IDLE_KEY = `${KEY_PREFIX}workers:idle`;
export const HEARTBEAT_MS = 5000;
const ALIVE_MS = HEARTBEAT_MS * 3;
/** Idle entries are re-confirmed every IDLE_REFRESH_MS, so a killed worker stops looking idle fast. */
export const IDLE_REFRESH_MS = 1000;
const IDLE_ALIVE_MS = IDLE_REFRESH_MS * 3;

export async function heartbeat(redis: Redis, name: string): Promise<void> {
  await redis.zadd(KEY, Date.now(), name);
}

export async function removeWorker(redis: Redis, name: string): Promise<void> {
  await redis.multi().zrem(KEY, name).zrem(IDLE_KEY, name).exec();
}

/** Idle entries carry the time they were last confirmed, so a dead worker drops out. */
export async function markIdle(redis: Redis, name: string, idle: boolean): Promise<void> {
  if (idle) await redis.zadd(IDLE_KEY, Date.now(), name);
  else await redis.zrem(IDLE_KEY, name);
}

export async function otherIdleWorkers(redis: Redis, name: string): Promise<string[]> {
  await redis.zremrangebyscore(IDLE_KEY, '-inf', Date.now() - IDLE_ALIVE_MS);
  return (await redis.zrange(IDLE_KEY, '0', '-1')).filter((w) => w !== name);
}

export async function countLiveWorkers(redis: Redis): Promise<number> {
  const cutoff = Date.now() - ALIVE_MS;
  await redis.zremrangebyscore(KEY, '-inf', cutoff);
  return redis.zcard(KEY);
}
