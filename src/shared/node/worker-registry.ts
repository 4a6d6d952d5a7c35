/** Live workers: each heartbeats into a ZSET; /api/health counts the recent ones. */
import type { Redis } from 'ioredis';
import { KEY_PREFIX } from './redis.js';

const KEY = `${KEY_PREFIX}workers`;
export const HEARTBEAT_MS = 5000;
const ALIVE_MS = HEARTBEAT_MS * 3;

export async function heartbeat(redis: Redis, name: string): Promise<void> {
  await redis.zadd(KEY, Date.now(), name);
}

export async function removeWorker(redis: Redis, name: string): Promise<void> {
  await redis.zrem(KEY, name);
}

export async function countLiveWorkers(redis: Redis): Promise<number> {
  const cutoff = Date.now() - ALIVE_MS;
  await redis.zremrangebyscore(KEY, '-inf', cutoff);
  return redis.zcard(KEY);
}

/** Names of the workers whose heartbeat is current. */
export async function liveWorkers(redis: Redis): Promise<string[]> {
  return redis.zrangebyscore(KEY, Date.now() - ALIVE_MS, '+inf');
}
