/**
 * Job records in Redis: the source of truth for status (bee-queue is transport only).
 * Every change goes through `update`, which refuses to touch a terminal record and, in the same
 * transaction, moves the job between its status indexes and publishes the new record.
 * Records are parsed with their zod schema as they come out of Redis.
 */
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import { isTerminal, TERMINAL_STATUSES, type JobRecord, type JobStatus, type JobType } from '../jobs.js';
import { jobRecordSchema } from '../job-record.js';
import {
  CREATE_SCRIPT,
  decodeCursor,
  encodeCursor,
  indexKeysFor,
  indexKeysOf,
  isAfter,
  newerFirst,
  scoreOf,
  statusIndexKey,
  type IndexEntry,
} from './job-index.js';
import { KEY_PREFIX, withRedis } from './redis.js';
import { redisScript, type RedisScript } from './redis-script.js';
import { rateCountLua, rateOverLua, type RateCharge } from './rate-charge.js';

export const JOB_UPDATES_CHANNEL = `${KEY_PREFIX}job-updates`;
export const JOB_KEY_PREFIX = `${KEY_PREFIX}job:`;
export const jobKey = (id: string) => `${JOB_KEY_PREFIX}${id}`;
const leaseKey = (id: string) => `${KEY_PREFIX}job-lease:${id}`;

export type JobMutator = (current: JobRecord) => JobRecord | null;

/**
 * CREATE_SCRIPT with the caller's request counted first (rate-charge.ts): nothing is written past
 * the limit. KEYS = record, indexes…, this window's counter, the previous one's; ARGV = record JSON,
 * score, id, channel, counter expiry, limit, overlap. Returns {created (1, 0 taken, -1 refused), counts…}.
 */
const CHARGED_CREATE_SCRIPT = `
local n = #KEYS
${rateCountLua({ current: 'KEYS[n - 1]', previous: 'KEYS[n]', expiry: 'ARGV[5]' })}
if ${rateOverLua({ limit: 'ARGV[6]', overlap: 'ARGV[7]' })} then return {-1, rate_current, rate_previous} end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return {0, rate_current, rate_previous} end
for i = 2, n - 2 do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return {1, rate_current, rate_previous}
`;

export interface ListOptions {
  type?: JobType;
  status?: JobStatus;
  characterId?: string;
  limit?: number;
  /** `nextCursor` of the previous page (a number is a legacy offset). */
  cursor?: string | number | null;
}

export interface StorePage {
  items: JobRecord[];
  /** null when Redis holds no more matching jobs. */
  nextCursor: string | null;
}

/** JSON → record, checked against the schema; null when the stored text is not a valid record. */
export function decodeRecord(raw: string): JobRecord | null {
  try {
    const parsed = jobRecordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function requireDecoded(id: string, raw: string): JobRecord {
  const record = decodeRecord(raw);
  if (!record) throw new AppError('INTERNAL', `Job '${id}' has an unreadable record in Redis`);
  return record;
}

export class JobStore {
  /** WATCH is per connection and any EXEC clears it, so transactions get their own connection, one at a time. */
  private readonly tx: Redis;
  private txChain: Promise<unknown> = Promise.resolve();
  private readonly createScript: RedisScript;
  private readonly chargedCreateScript: RedisScript;

  constructor(private readonly redis: Redis) {
    this.createScript = redisScript(redis, 'isengardCreateJob', CREATE_SCRIPT);
    this.chargedCreateScript = redisScript(redis, 'isengardCreateJobCharged', CHARGED_CREATE_SCRIPT);
    this.tx = redis.duplicate();
    // Failures surface on the commands themselves; the event would only print "Unhandled error".
    this.tx.on('error', () => undefined);
  }

  async close(): Promise<void> {
    this.tx.disconnect();
  }

  /** With `charge`, the caller's request is counted in the same script, and nothing is created past its limit. */
  async create(record: JobRecord, charge?: RateCharge): Promise<void> {
    const json = JSON.stringify(record);
    const keys = [jobKey(record.id), ...indexKeysOf(record)];
    const args = [json, scoreOf(record), record.id, JOB_UPDATES_CHANNEL];
    let created: unknown;
    if (charge) {
      const [outcome, current, previous] = (await withRedis(() => this.chargedCreateScript([...keys, ...charge.keys], [...args, ...charge.args]))) as number[];
      charge.spent = true;
      if (outcome === -1) charge.refuse(current!, previous!);
      created = outcome;
    } else {
      created = await withRedis(() => this.createScript(keys, args));
    }
    if (created !== 1) throw new AppError('CONFLICT', `Job '${record.id}' already exists`);
  }

  async get(id: string): Promise<JobRecord | null> {
    const raw = await withRedis(() => this.redis.get(jobKey(id)));
    return raw ? requireDecoded(id, raw) : null;
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
      const current = decodeRecord(raw);
      const next = !current || (isTerminal(current.status) && !finishedToo) ? null : mutate(current);
      if (!current || !next) {
        await tx.unwatch();
        return current ?? requireDecoded(id, raw);
      }
      // Identity and creation time place a job in its indexes: they never change.
      const stored: JobRecord = { ...next, id, type: current.type, created_at: current.created_at, character_id: current.character_id, rev: current.rev + 1 };
      const json = JSON.stringify(stored);
      const multi = tx.multi().set(jobKey(id), json);
      if (stored.status !== current.status) {
        for (const key of indexKeysOf(current)) multi.zrem(key, id);
        for (const key of indexKeysOf(stored)) multi.zadd(key, scoreOf(stored), id);
      }
      const ok = await multi.publish(JOB_UPDATES_CHANNEL, json).exec();
      if (ok) return JSON.parse(json) as JobRecord;
    }
    throw new AppError('SERVICE_UNAVAILABLE', `Job '${id}' is being updated too often; try again`);
  }

  /**
   * Newest first, in pages merged from the indexes the filter covers: the cost grows with the
   * page size, not with the history.
   */
  async list(opts: ListOptions = {}): Promise<StorePage> {
    const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
    const cursor = decodeCursor(opts.cursor);
    if (cursor.where === 'archive') return { items: [], nextCursor: null };
    const keys = indexKeysFor(opts);
    return withRedis(async () => {
      const candidates =
        cursor.where === 'offset'
          ? (await this.headOf(keys, cursor.offset + limit + 1)).slice(cursor.offset)
          : await this.pageAfter(keys, cursor.after, limit + 1);
      const page = candidates.slice(0, limit);
      const raws = page.length ? await this.redis.mget(page.map((e) => jobKey(e.id))) : [];
      const items: JobRecord[] = [];
      for (const raw of raws) {
        const record = raw ? decodeRecord(raw) : null;
        // Gone (pruned) or moved to another status since the index was read: not part of this page.
        if (!record) continue;
        if ((opts.status && record.status !== opts.status) || (opts.characterId && record.character_id !== opts.characterId)) continue;
        items.push(record);
      }
      const last = page.at(-1);
      return { items, nextCursor: candidates.length > limit && last ? encodeCursor('redis', last) : null };
    });
  }

  /** The first `count` entries after `after` in the merged order of `keys`. */
  private async pageAfter(keys: string[], after: IndexEntry | null, count: number): Promise<IndexEntry[]> {
    const max = after ? String(after.score) : '+inf';
    const fromKey = async (key: string): Promise<IndexEntry[]> => {
      // Entries with the cursor's own score that are not after it come first: fetch past them.
      for (let n = count; ; ) {
        const rows = toEntries(await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, n));
        const next = rows.filter((e) => isAfter(e, after));
        if (next.length >= count || rows.length < n) return next.slice(0, count);
        const skipped = rows.length - next.length;
        n = skipped < n ? skipped + count : n * 2;
      }
    };
    const perKey = await Promise.all(keys.map(fromKey));
    return perKey.flat().sort(newerFirst).slice(0, count);
  }

  private async headOf(keys: string[], count: number): Promise<IndexEntry[]> {
    const pipe = this.redis.pipeline();
    for (const key of keys) pipe.zrevrange(key, 0, count - 1, 'WITHSCORES');
    const rows = ((await pipe.exec()) ?? []).flatMap(([err, r]) => {
      if (err) throw err;
      return toEntries(r as string[]);
    });
    return rows.sort(newerFirst).slice(0, count);
  }

  /**
   * The running worker's claim on a job, renewed while it runs and short-lived, so a second
   * delivery of the same job (bee-queue's stall check after missed renewals) can tell "running elsewhere"
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

  /** Up to `limit` finished jobs created before `beforeMs`, oldest first (what retention archives). */
  async finishedBefore(beforeMs: number, limit: number, type?: JobType): Promise<JobRecord[]> {
    const keys = indexKeysFor({ ...(type ? { type } : {}) }).filter((k) => TERMINAL_STATUSES.some((s) => k.endsWith(`:${s}`)));
    return withRedis(async () => {
      const pipe = this.redis.pipeline();
      for (const key of keys) pipe.zrangebyscore(key, '-inf', `(${beforeMs}`, 'WITHSCORES', 'LIMIT', 0, limit);
      const entries = ((await pipe.exec()) ?? [])
        .flatMap(([err, r]) => {
          if (err) throw err;
          return toEntries(r as string[]);
        })
        .sort((a, b) => newerFirst(b, a))
        .slice(0, limit);
      if (entries.length === 0) return [];
      const raws = await this.redis.mget(entries.map((e) => jobKey(e.id)));
      return raws.map((raw) => (raw ? decodeRecord(raw) : null)).filter((r): r is JobRecord => r !== null && isTerminal(r.status));
    });
  }

  /** Deletes finished records and their index entries (after they were archived). */
  async removeFinished(records: readonly JobRecord[]): Promise<void> {
    if (records.length === 0) return;
    const multi = this.redis.multi();
    for (const r of records) {
      if (!isTerminal(r.status)) throw new Error(`Job '${r.id}' is ${r.status}; only finished jobs leave Redis`);
      multi.del(jobKey(r.id));
      for (const key of indexKeysOf(r)) multi.zrem(key, r.id);
    }
    await withRedis(() => multi.exec());
  }

  /** Every queued or running job of a type (used to guard deletes): exact, read from the status indexes. */
  async active(type: JobType): Promise<JobRecord[]> {
    return withRedis(async () => {
      const pipe = this.redis.pipeline();
      for (const status of ['queued', 'running'] as const) pipe.zrange(statusIndexKey(type, status), '0', '-1');
      const ids = ((await pipe.exec()) ?? []).flatMap(([err, r]) => {
        if (err) throw err;
        return r as string[];
      });
      if (ids.length === 0) return [];
      const raws = await this.redis.mget(ids.map(jobKey));
      return raws
        .map((raw) => (raw ? decodeRecord(raw) : null))
        .filter((r): r is JobRecord => r !== null && r.type === type && !isTerminal(r.status));
    });
  }
}

function toEntries(flat: string[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}
