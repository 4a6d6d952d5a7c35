/**
 * Jobs: create (record + job.queued + enqueue), read, list, cancel, watch. The record is the
 * truth; bee-queue only carries {id, correlation_id, type} to a worker.
 */
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';
import { isTerminal, type JobPage, type JobRecord, type JobStatus, type JobType } from '../../shared/jobs.js';
import { getCorrelationId, newCorrelationId } from '../../shared/node/correlation.js';
import { JobLogger } from '../../shared/node/job-logger.js';
import { randomHex } from '../../shared/node/random-hex.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { RateCharge } from '../../shared/node/rate-charge.js';
import type { JobArchive } from '../../shared/node/job-archive.js';
import { decodeCursor, encodeCursor } from '../../shared/node/job-index.js';
import type { JobRetention, PruneOptions, PruneReport } from '../../shared/node/job-retention.js';
import type { RepairReport } from '../../shared/node/job-index-repair.js';
import { JobEvents } from '../../shared/node/job-events.js';
import { JobWatchHub, type JobWatcher } from './job-watch-hub.js';
import { enqueue, type JobQueue } from '../../shared/node/queues.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import type { Redis } from 'ioredis';
import { withRedis } from '../../shared/node/redis.js';
import { releaseSnapshotIfDone } from '../../shared/node/training-files.js';

export interface NewJob {
  id?: string;
  type: JobType;
  config: Record<string, unknown>;
  character_id?: string;
  lora_id?: string;
  count?: number;
  /** Training lineage and samples (see JobRecord). */
  sample_prompts?: string[];
  resumed_from?: string;
  resume_step?: number;
  continued_from?: string;
  base_lora_id?: string;
  /** Evaluation: its training and the rows planned so far. */
  training_id?: string;
  evaluation_rows?: JobRecord['evaluation_rows'];
}

const now = () => new Date().toISOString();

export class JobsService {
  constructor(
    private readonly deps: {
      store: JobStore;
      archive: JobArchive;
      retention: JobRetention;
      events: JobEvents;
      queue: JobQueue;
      paths: VolumePaths;
      redis: Redis;
      logger: Logger;
    },
  ) {
    this.hub = new JobWatchHub({ events: deps.events, load: (id) => this.get(id), reload: (id) => deps.store.get(id) });
  }

  private readonly hub: JobWatchHub;

  static newId(type: JobType): string {
    return `${type}-${randomHex(6)}`;
  }

  jobLogger(id: string): JobLogger {
    return new JobLogger({ jobId: id, service: 'api', logPath: this.deps.paths.jobLog(id), logger: this.deps.logger });
  }

  /** `charge`: the request is counted against its rate limit in the record's create (one round trip). */
  async create(job: NewJob, charge?: RateCharge): Promise<JobRecord> {
    const id = job.id ?? JobsService.newId(job.type);
    const correlation_id = getCorrelationId() ?? newCorrelationId();
    const record: JobRecord = {
      id,
      type: job.type,
      status: 'queued',
      correlation_id,
      config: job.config,
      ...(job.character_id ? { character_id: job.character_id } : {}),
      ...(job.lora_id ? { lora_id: job.lora_id } : {}),
      ...(job.count !== undefined ? { count: job.count } : {}),
      ...(job.sample_prompts ? { sample_prompts: job.sample_prompts } : {}),
      ...(job.resumed_from ? { resumed_from: job.resumed_from, resume_step: job.resume_step } : {}),
      ...(job.continued_from ? { continued_from: job.continued_from, base_lora_id: job.base_lora_id } : {}),
      ...(job.training_id ? { training_id: job.training_id } : {}),
      ...(job.evaluation_rows ? { evaluation_rows: job.evaluation_rows } : {}),
      created_at: now(),
      progress: 0,
      outputs: [],
      attempts: 0,
      rev: 0,
    };
    await this.deps.store.create(record, charge);
    const log = this.jobLogger(id);
    try {
      // Awaited before the enqueue, so job.queued comes before anything a worker writes.
      await log.logAsync('INFO', `Job queued`, 'job.queued', {
        job_type: job.type,
        config: job.config,
        character_id: job.character_id,
        lora_id: job.lora_id,
        count: job.count,
        sample_prompts: job.sample_prompts,
        resumed_from: job.resumed_from,
        resume_step: job.resume_step,
        continued_from: job.continued_from,
        base_lora_id: job.base_lora_id,
        training_id: job.training_id,
      });
      await enqueue(this.deps.queue, { id, correlation_id, type: job.type });
    } catch (err) {
      const error = `Could not enqueue the job: ${err instanceof Error ? err.message : String(err)}`;
      await this.deps.store.update(id, (r) => ({ ...r, status: 'failed', error, finished_at: now() })).catch(() => undefined);
      log.error(error, 'job.failed');
      throw new AppError('SERVICE_UNAVAILABLE', 'Job queue is unavailable; nothing was started', { cause: err });
    } finally {
      log.close();
    }
    return record;
  }

  /** From Redis, else from the archive (marked `archived: true`). */
  async get(id: string, type?: JobType): Promise<JobRecord> {
    const record = (await this.deps.store.get(id)) ?? (await this.deps.archive.find(id));
    if (!record || (type && record.type !== type)) throw AppError.notFound(`Job '${id}' not found`);
    return record;
  }

  /** Newest first from Redis; when Redis has no more, the same filter continues into the archive. */
  async list(opts: { type?: JobType; status?: JobStatus; characterId?: string; limit?: number; cursor?: string | number | null }): Promise<JobPage> {
    const limit = Math.min(Math.max(opts.limit ?? 20, 1), 100);
    const cursor = decodeCursor(opts.cursor);
    const items: JobRecord[] = [];
    if (cursor.where !== 'archive') {
      const page = await this.deps.store.list({ ...opts, limit });
      // Only finished jobs are archived: a queued/running filter never needs to read the volume.
      if (page.nextCursor || (opts.status && !isTerminal(opts.status))) return page;
      items.push(...page.items);
    }
    const rest = await this.deps.archive.list(opts, cursor.where === 'archive' ? cursor.after : null, limit - items.length || 1);
    const fromArchive = items.length < limit ? rest.items : [];
    const more = items.length < limit ? rest.next !== null : rest.items.length > 0;
    const last = fromArchive.at(-1);
    return {
      items: [...items, ...fromArchive],
      nextCursor: !more ? null : last ? encodeCursor('archive', { score: Date.parse(last.created_at), id: last.id }) : 'a',
    };
  }

  prune(opts: PruneOptions): Promise<PruneReport> {
    return this.deps.retention.prune(opts);
  }

  repairIndexes(): Promise<RepairReport> {
    return this.deps.retention.repairIndexes();
  }

  /**
   * Queued → cancelled at once and removed from the queue; running → the worker is told (pub/sub,
   * with the record flag as backstop) and records `cancelled` when the backend has stopped.
   */
  async cancel(id: string, type?: JobType): Promise<JobRecord> {
    const current = await this.get(id, type);
    if (isTerminal(current.status)) throw new AppError('CONFLICT', `Job '${id}' is already ${current.status}`);
    const by = getCorrelationId() ?? 'unknown';
    const at = now();
    const updated = await this.deps.store.update(id, (r) =>
      r.status === 'queued'
        ? { ...r, status: 'cancelled', cancel_requested_at: at, cancelled_by: by, finished_at: at, message: 'Cancelled before it started' }
        : { ...r, cancel_requested_at: at, cancelled_by: by, message: 'Cancelling…' },
    );
    if (!updated) throw AppError.notFound(`Job '${id}' not found`);
    if (updated.status === 'cancelled' && updated.cancelled_by === by) {
      await this.deps.queue.removeJob(id).catch(() => undefined);
      const log = this.jobLogger(id);
      log.warning('Job cancelled before it started', 'job.cancelled', { cancelled_by: by });
      log.close();
      if (await releaseSnapshotIfDone(this.deps.paths, updated).catch(() => false)) {
        this.deps.logger.info({ job_id: id }, 'dataset snapshot deleted: nothing can resume from this job');
      }
    } else if (!isTerminal(updated.status)) {
      await withRedis(() => JobEvents.publishCancel(this.deps.redis, { id, by }));
    }
    return updated;
  }

  /**
   * Follows a job: the current record first, then every change, then `end` after a terminal status.
   * One shared subscription per job (job-watch-hub.ts); resolves with the unsubscribe.
   */
  follow(id: string, watcher: JobWatcher): Promise<() => void> {
    return this.hub.watch(id, watcher);
  }

  /** Current record first, then every change, ending after a terminal status. */
  async *watch(id: string, signal?: AbortSignal): AsyncGenerator<JobRecord> {
    const pending: JobRecord[] = [];
    let ended = false;
    let wake: (() => void) | null = null;
    const notify = () => wake?.();
    const unwatch = await this.follow(id, {
      update: (u) => (pending.push(u.record), notify()),
      end: () => ((ended = true), notify()),
    });
    signal?.addEventListener('abort', notify);
    try {
      for (;;) {
        while (pending.length > 0) yield pending.shift()!;
        if (ended || signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      unwatch();
      signal?.removeEventListener('abort', notify);
    }
  }
}
