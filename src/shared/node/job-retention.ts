/**
 * Moves finished job records out of Redis into the JSONL archive: on demand (`jobs prune`) and,
 * with JOB_RETENTION_DAYS, periodically. Several API processes may run the timer; a short Redis
 * lock lets one of them prune at a time and the others skip that round. The same lock guards the
 * index repair, which also moves the indexes of earlier versions over on the first start.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { JobType } from '../jobs.js';
import type { JobArchive } from './job-archive.js';
import { LEGACY_INDEX_KEYS } from './job-index.js';
import { repairJobIndexes, type RepairReport } from './job-index-repair.js';
import type { JobStore } from './job-store.js';
import { randomBytes } from 'node:crypto';
import { KEY_PREFIX, withRedis } from './redis.js';

const DAY_MS = 86_400_000;
const BATCH = 500;
const LOCK_KEY = `${KEY_PREFIX}lock:job-history`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

const tryLock = (redis: Redis, token: string, ttlMs: number) => withRedis(() => redis.set(LOCK_KEY, token, 'PX', ttlMs, 'NX'));

/**
 * Runs `fn` holding the job-history lock, waiting up to `waitMs` for a prune or repair to finish
 * first: a purge rewriting archive files must not drop the lines a prune appends meanwhile.
 */
export async function withJobHistoryLock<T>(redis: Redis, fn: () => Promise<T>, opts: { waitMs?: number; ttlMs?: number } = {}): Promise<T> {
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + (opts.waitMs ?? 10 * 60_000);
  while ((await tryLock(redis, token, opts.ttlMs ?? 10 * 60_000)) !== 'OK') {
    if (Date.now() > deadline) throw new AppError('CONFLICT', 'Job history maintenance (prune or index repair) is still running; try again later');
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, LOCK_KEY, token).catch(() => undefined);
  }
}

export interface PruneOptions {
  olderThanDays: number;
  type?: JobType;
}

export interface PruneReport {
  archived: number;
  /** Jobs created before this instant and finished were archived. */
  cutoff: string;
  archive_dir: string;
}

export class JobRetention {
  private timer: NodeJS.Timeout | null = null;
  private readonly lockTtlMs: number;

  constructor(
    private readonly deps: { store: JobStore; archive: JobArchive; redis: Redis; logger: Logger },
    opts: { lockTtlMs?: number } = {},
  ) {
    this.lockTtlMs = opts.lockTtlMs ?? 10 * 60_000;
  }

  /** One holder across processes; a second caller does not queue behind the first, it is told it is busy. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const token = randomBytes(8).toString('hex');
    if ((await tryLock(this.deps.redis, token, this.lockTtlMs)) !== 'OK') {
      throw new AppError('CONFLICT', 'Job history maintenance (prune or index repair) is already running; try again later');
    }
    try {
      return await fn();
    } finally {
      await this.deps.redis.eval(RELEASE, 1, LOCK_KEY, token).catch(() => undefined);
    }
  }

  prune(opts: PruneOptions, now = Date.now()): Promise<PruneReport> {
    const cutoffMs = now - opts.olderThanDays * DAY_MS;
    return this.exclusive(async () => {
      let archived = 0;
      for (;;) {
        const batch = await this.deps.store.finishedBefore(cutoffMs, BATCH, opts.type);
        if (batch.length === 0) break;
        await this.deps.archive.append(batch);
        await this.deps.store.removeFinished(batch);
        archived += batch.length;
        if (batch.length < BATCH) break;
      }
      const report = { archived, cutoff: new Date(cutoffMs).toISOString(), archive_dir: this.deps.archive.dir };
      if (archived > 0) this.deps.logger.info({ ...report, type: opts.type }, 'archived finished jobs');
      return report;
    });
  }

  async repairIndexes(): Promise<RepairReport> {
    const report = await this.exclusive(() => repairJobIndexes(this.deps.redis));
    this.deps.logger.info({ checked: report.checked, fixed: report.fixed, unreadable: report.unreadable.length }, 'job indexes repaired');
    return report;
  }

  /**
   * First round soon after start (it also moves the indexes of earlier versions over), then one
   * every `intervalMs`. Without `retentionDays` only that first index check runs.
   */
  start(retentionDays: number | undefined, opts: { firstDelayMs?: number; intervalMs?: number } = {}): void {
    const round = async () => {
      try {
        if ((await this.deps.redis.exists(...LEGACY_INDEX_KEYS)) > 0) await this.repairIndexes();
        if (retentionDays !== undefined) await this.prune({ olderThanDays: retentionDays });
      } catch (err) {
        // Another process has this round, or Redis is away: the next round tries again.
        if (err instanceof AppError && (err.code === 'CONFLICT' || err.code === 'SERVICE_UNAVAILABLE')) return;
        this.deps.logger.error({ err }, 'job retention round failed');
      }
    };
    const schedule = (ms: number) => {
      this.timer = setTimeout(() => {
        void round().finally(() => {
          if (this.timer && retentionDays !== undefined) schedule(opts.intervalMs ?? 60 * 60_000);
        });
      }, ms);
      this.timer.unref();
    };
    schedule(opts.firstDelayMs ?? 5_000);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
