/**
 * Job records in Redis: the source of truth for status (bee-queue is transport only).
 * Every change goes through `update`, which refuses to touch a terminal record and publishes
 * the new record on pub/sub in the same transaction.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { isTerminal, type JobPage, type JobRecord, type JobStatus, type JobType } from '../jobs.js';
import { KEY_PREFIX, withRedis } from './redis.js';

export const JOB_UPDATES_CHANNEL = `${KEY_PREFIX}job-updates`;
const jobKey = (id: string) => `${KEY_PREFIX}job:${id}`;
const leaseKey = (id: string) => `${KEY_PREFIX}job-lease:${id}`;
const indexKey = (type: JobType | 'all') => `${KEY_PREFIX}jobs:${type}`;

export type JobMutator = (current: JobRecord) => JobRecord | null;

export interface ListOptions {
  type?: JobType;
  status?: JobStatus;
  characterId?: string;
  limit?: number;
  cursor?: number | null;
}

export class JobStore {
  /** WATCH is per connection and any EXEC clears it, so transactions get their own connection, one at a time. */
  private readonly tx: Redis;
  private txChain: Promise<unknown> = Promise.resolve();

  constructor(private readonly redis: Redis) {
    this.tx = redis.duplicate();
    // Failures surface on the commands themselves; the event would only print "Unhandled error".
    this.tx.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.tx.disconnect();
  }

  async create(record: JobRecord): Promise<void> {
    await withRedis(async () => {
      const score = Date.parse(record.created_at);
      const result = await this.redis
        .multi()
        .set(jobKey(record.id), JSON.stringify(record), 'NX')
        .zadd(indexKey(record.type), score, record.id)
        .zadd(indexKey('all'), score, record.id)
        .publish(JOB_UPDATES_CHANNEL, JSON.stringify(record))
        .exec();
      if (!result || result[0]?.[1] !== 'OK') throw new AppError('CONFLICT', `Job '${record.id}' already exists`);
    });
  }

  async get(id: string): Promise<JobRecord | null> {
    const raw = await withRedis(() => this.redis.get(jobKey(id)));
    return raw ? (JSON.parse(raw) as JobRecord) : null;
  }

  async require(id: string): Promise<JobRecord> {
    const record = await this.get(id);
    if (!record) throw AppError.notFound(`Job '${id}' not found`);
    return record;
  }

  /**
   * Optimistic read-modify-write (WATCH/MULTI). Returns the stored record after the change, or
   * the unchanged current record when the mutator declines or the record is terminal.
   */
  async update(id: string, mutate: JobMutator): Promise<JobRecord | null> {
    const run = this.txChain.then(() => withRedis(() => this.transact(id, mutate)));
    this.txChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Like `update`, for a finished record too: its links and files may change (`resumed_by`, a
   * deleted checkpoint), its status never does.
   */
  async amend(id: string, mutate: JobMutator): Promise<JobRecord | null> {
    const keepStatus: JobMutator = (current) => {
      const next = mutate(current);
      return next && { ...next, status: current.status };
    };
    const run = this.txChain.then(() => withRedis(() => this.transact(id, keepStatus, true)));
    this.txChain = run.catch(() => undefined);
    return run;
  }

  private async transact(id: string, mutate: JobMutator, finishedToo = false): Promise<JobRecord | null> {
    const tx = this.tx;
    for (let attempt = 0; attempt < 50; attempt++) {
      await tx.watch(jobKey(id));
      const raw = await tx.get(jobKey(id));
      if (!raw) {
        await tx.unwatch();
        return null;
      }
      const current = JSON.parse(raw) as JobRecord;
      const next = isTerminal(current.status) && !finishedToo ? null : mutate(current);
      if (!next) {
        await tx.unwatch();
        return current;
      }
      const json = JSON.stringify({ ...next, rev: current.rev + 1 });
      const ok = await tx.multi().set(jobKey(id), json).publish(JOB_UPDATES_CHANNEL, json).exec();
      if (ok) return JSON.parse(json) as JobRecord;
    }
    throw new AppError('SERVICE_UNAVAILABLE', `Job '${id}' is being updated too often; try again`);
  }

  /** Newest first. `cursor` is the offset to continue from; null when there is no more. */
  async list(opts: ListOptions = {}): Promise<JobPage> {
    const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
    let offset = opts.cursor ?? 0;
    const items: JobRecord[] = [];
    const filtered = Boolean(opts.status || opts.characterId);
    return withRedis(async () => {
      for (;;) {
        const chunk = filtered ? Math.max(limit * 2, 50) : limit;
        const ids = await this.redis.zrevrange(indexKey(opts.type ?? 'all'), offset, offset + chunk - 1);
        if (ids.length === 0) return { items, nextCursor: null };
        const raws = await this.redis.mget(ids.map(jobKey));
        for (let i = 0; i < ids.length; i++) {
          const raw = raws[i];
          offset++;
          if (!raw) continue;
          const record = JSON.parse(raw) as JobRecord;
          if (opts.status && record.status !== opts.status) continue;
          if (opts.characterId && record.character_id !== opts.characterId) continue;
          items.push(record);
          if (items.length === limit) {
            const more = (await this.redis.zcard(indexKey(opts.type ?? 'all'))) > offset;
            return { items, nextCursor: more ? offset : null };
          }
        }
        if (ids.length < chunk) return { items, nextCursor: null };
      }
    });
  }

  /**
   * The running worker's claim on a job, renewed while it runs and short-lived, so a second
   * delivery of the same job (bee-queue stall check, a hand-over) can tell "running elsewhere"
   * from "its worker died".
   */
  async holdLease(id: string, owner: string, ttlMs: number): Promise<void> {
    await withRedis(() => this.redis.set(leaseKey(id), owner, 'PX', ttlMs));
  }

  leaseHolder(id: string): Promise<string | null> {
    return withRedis(() => this.redis.get(leaseKey(id)));
  }

  async dropLease(id: string, owner: string): Promise<void> {
    if ((await this.leaseHolder(id)) === owner) await withRedis(() => this.redis.del(leaseKey(id)));
  }

  /** Every non-terminal job of a type (used to guard deletes). Bounded scan of the newest 1000. */
  async active(type: JobType): Promise<JobRecord[]> {
    const ids = await withRedis(() => this.redis.zrevrange(indexKey(type), 0, 999));
    if (ids.length === 0) return [];
    const raws = await withRedis(() => this.redis.mget(ids.map(jobKey)));
    return raws
      .filter((r): r is string => Boolean(r))
      .map((r) => JSON.parse(r) as JobRecord)
      .filter((r) => !isTerminal(r.status));
  }
}
