/** VOLUME_ROOT writable with room to work, and Redis keeping its data across a restart. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { ReadinessItem } from '../../readiness.js';

const GB = 1e9;

export function checkVolume(volumeRoot: string, production: boolean): ReadinessItem {
  const probe = path.join(volumeRoot, `.doctor-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(volumeRoot, { recursive: true });
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    return { id: 'volume', status: 'fail', message: `VOLUME_ROOT ${volumeRoot} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fix: 'mount the network volume there or set VOLUME_ROOT to a writable folder' };
  }
  const s = statfsSync(volumeRoot);
  const free = s.bavail * s.bsize;
  const text = `${(free / GB).toFixed(1)} GB free`;
  // A LoRA run writes checkpoints and samples (a few GB); the hub cache may want ~30 GB more.
  if (free < 2 * GB) return { id: 'volume', status: 'fail', message: `VOLUME_ROOT ${volumeRoot} is writable but has only ${text}`, fix: 'free space on the volume or grow it' };
  if (production && free < 40 * GB) return { id: 'volume', status: 'warn', message: `VOLUME_ROOT ${volumeRoot} is writable, ${text}; trainings and the FLUX download need more`, fix: 'grow the volume to 100 GB or more' };
  return { id: 'volume', status: 'ok', message: `VOLUME_ROOT ${volumeRoot} is writable, ${text}` };
}

/** CONFIG GET answers `[name, value]`. */
async function configValue(redis: Redis, name: string): Promise<string> {
  const reply = (await redis.call('CONFIG', 'GET', name)) as string[];
  return reply[1] ?? '';
}

export async function checkRedisPersistence(redis: Redis | null, redisUrl: string, production: boolean): Promise<ReadinessItem> {
  const where = new URL(redisUrl).host;
  const down: ReadinessItem = { id: 'redis', status: 'fail', message: `Redis at ${where} does not answer`, fix: './start.sh starts one with AOF when none answers; or fix REDIS_URL' };
  if (!redis) return down;
  try {
    await redis.ping();
  } catch {
    return down;
  }
  let aof: string;
  let save: string;
  try {
    aof = await configValue(redis, 'appendonly');
    save = await configValue(redis, 'save');
  } catch (err) {
    return { id: 'redis', status: 'warn', message: `Redis at ${where} answers, but its persistence cannot be read (${(err as Error).message})`, fix: 'make sure the Redis keeps an append-only file (appendonly yes)' };
  }
  if (aof === 'yes') return { id: 'redis', status: 'ok', message: `Redis at ${where} persists with an append-only file` };
  const fix = 'run Redis with --appendonly yes (./start.sh does when it starts one)';
  if (save.trim()) return { id: 'redis', status: 'warn', message: `Redis at ${where} only takes RDB snapshots (save ${save}): a crash loses the jobs since the last one`, fix };
  if (!production) return { id: 'redis', status: 'ok', message: `Redis at ${where} keeps nothing across a restart; fine for fast-test, whose data is disposable` };
  return { id: 'redis', status: 'fail', message: `Redis at ${where} has persistence off: a restart loses every job record and queue`, fix };
}
