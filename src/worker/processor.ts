/**
 * The job lifecycle, for every job type alike: restores the job's correlation context, moves the
 * record queued → running → completed | failed | cancelled, hands the type's handler a context
 * with an AbortSignal, a JobLogger and a throttled progress callback, logs progress milestones,
 * and records every outcome in the record and the job's log. What a job type does lives in its
 * handler (src/worker/jobs/<type>/).
 *
 * Failures: a NonRetryableError (or a record its type cannot parse) fails the job for good. Any
 * other error gives the job one more attempt after the queue's backoff, within MAX_ATTEMPTS,
 * which also bounds re-runs after a worker died.
 */
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { jobInputSchemas } from '../shared/job-inputs.js';
import { isTerminal, type JobOutput, type JobRecord, type JobType } from '../shared/jobs.js';
import { runWithCorrelation } from '../shared/node/correlation.js';
import { JobLogger } from '../shared/node/job-logger.js';
import type { JobMutator, JobStore } from '../shared/node/job-store.js';
import { MAX_ATTEMPTS, type QueuedJob, type QueuePayload } from '../shared/node/queues.js';
import type { VolumePaths } from '../shared/node/volume.js';
import { progressMilestones } from './progress-milestones.js';
import { ProgressThrottle } from './progress-throttle.js';
import { releaseSnapshotIfDone } from '../shared/node/training-files.js';
import { JobCancelledError, JobDeferredError, NonRetryableError, type JobContext } from './backends/types.js';
import type { JobHandler, JobHandlers } from './jobs/types.js';

/** `superseded`: the record says another worker now runs this job (this one missed its stall window). */
type CancelReason = { kind: 'user'; by: string } | { kind: 'shutdown' } | { kind: 'superseded'; by: string };

export interface ProcessorDeps {
  store: JobStore;
  paths: VolumePaths;
  handlers: JobHandlers;
  logger: Logger;
  workerName: string;
  /** How often the record is re-read for a cancel request pub/sub may have missed. */
  cancelPollMs?: number;
  /**
   * Lifetime of the running-job lease. Must stay below bee-queue's stall interval, so a dead
   * worker's lease is gone before its job is delivered again.
   */
  leaseMs?: number;
  /**
   * Puts a job back in the GPU queue after `delayMs` (a JobDeferredError). Without it a deferred
   * job fails with the handler's reason.
   */
  requeue?: (payload: QueuePayload, delayMs: number) => Promise<void>;
}

const now = () => new Date().toISOString();
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class JobProcessor {
  private readonly running = new Map<string, { controller: AbortController; reason?: CancelReason }>();
  private readonly log: Logger;

  constructor(private readonly deps: ProcessorDeps) {
    this.log = deps.logger.child({ component: 'processor' });
  }

  get activeJobIds(): string[] {
    return [...this.running.keys()];
  }

  /** Aborts a running job; false when this worker is not running it. */
  cancel(id: string, reason: CancelReason): boolean {
    const entry = this.running.get(id);
    if (!entry) return false;
    entry.reason ??= reason;
    entry.controller.abort();
    return true;
  }

  abortAll(): void {
    for (const id of this.running.keys()) this.cancel(id, { kind: 'shutdown' });
  }

  /**
   * bee-queue's handler. Resolves once the outcome is recorded (the record is the truth);
   * rejects only to hand the job back to bee-queue for its retry after a transient failure.
   */
  handle(job: QueuedJob): Promise<void> {
    return runWithCorrelation(job.data.correlation_id, () => this.run(job));
  }

  private async run(job: QueuedJob): Promise<void> {
    const id = job.data.id;
    const jobLog = new JobLogger({ jobId: id, service: 'worker', logPath: this.deps.paths.jobLog(id), logger: this.log });
    try {
      const record = await this.start(id, jobLog);
      if (record) await this.execute(record, jobLog, (job.options.retries ?? 0) > 0);
    } finally {
      if (job.data.type === 'training') await this.releaseSnapshot(id);
      jobLog.close();
    }
  }

  /**
   * A finished training's dataset snapshot goes once nothing can resume from it. Housekeeping
   * after the job's last event, so it goes to the worker's log, not the job's.
   */
  private async releaseSnapshot(id: string): Promise<void> {
    try {
      if (await releaseSnapshotIfDone(this.deps.paths, await this.deps.store.get(id))) {
        this.log.info({ job_id: id }, 'dataset snapshot deleted: nothing can resume from this job');
      }
    } catch (err) {
      this.log.warn({ job_id: id, err: err instanceof Error ? err.message : String(err) }, 'could not delete the dataset snapshot');
    }
  }

  /** Claims the job (status running, attempts + 1); null when there is nothing to run. */
  private async start(id: string, jobLog: JobLogger): Promise<JobRecord | null> {
    const { store } = this.deps;
    const record = await store.get(id);
    if (!record) return void this.log.warn({ job_id: id }, 'queued job has no record; dropped'), null;
    if (isTerminal(record.status)) return null;
    if (record.cancel_requested_at) {
      await this.finishCancelled(id, jobLog, { kind: 'user', by: record.cancelled_by ?? 'unknown' });
      return null;
    }
    const attempts = record.attempts + 1;
    if (record.status === 'running') {
      // A second delivery: bee-queue's stall check re-queues a job whose worker missed its
      // renewals. The lease tells a worker that is merely slow (a Redis blip) from a dead one;
      // tests/integration/job-lifecycle.test.ts "a second delivery …" fails without it.
      const holder = await store.leaseHolder(id);
      if (holder && holder !== this.deps.workerName) {
        return void this.log.warn({ job_id: id, holder }, 'second delivery of a job that is running elsewhere; dropped'), null;
      }
      if (attempts > MAX_ATTEMPTS) {
        const error = `Worker stopped responding while running this job (${record.attempts} attempts); not retried again`;
        jobLog.error(error, 'job.failed', { attempts: record.attempts, previous_worker: record.worker });
        await this.persist(id, (r) => ({ ...r, status: 'failed', error, finished_at: now() }));
        return null;
      }
      jobLog.warning(`Worker ${record.worker ?? 'unknown'} was lost; running the job again`, 'job.retry', {
        attempt: attempts,
        previous_worker: record.worker,
      });
    }
    const started = await store.update(id, (r) =>
      r.attempts === record.attempts
        ? {
            ...r,
            status: 'running',
            started_at: now(),
            attempts,
            worker: this.deps.workerName,
            // A re-run starts from scratch: nothing of the previous attempt's progress is true any more.
            outputs: [],
            progress: 0,
            current_step: undefined,
            total_steps: undefined,
            loss: undefined,
            it_per_sec: undefined,
            eta_seconds: undefined,
            message: undefined,
            error: undefined,
          }
        : null,
    );
    return started && started.status === 'running' && started.attempts === attempts ? started : null;
  }

  private async execute(record: JobRecord, jobLog: JobLogger, queueWillRetry: boolean): Promise<void> {
    const { store, paths, workerName } = this.deps;
    const id = record.id;
    const controller = new AbortController();
    const entry: { controller: AbortController; reason?: CancelReason } = { controller };
    this.running.set(id, entry);
    // This run's writes apply only while the record still names this attempt and worker: a worker
    // that stalled past bee-queue's stall interval (a long GC pause, a frozen VM) finds its job run
    // by another, and must not overwrite that run's progress, outputs or outcome when it wakes up.
    const isMine = (r: JobRecord | null) => r !== null && r.attempts === record.attempts && r.worker === workerName;
    const owned = (mutate: JobMutator): JobMutator => (r) => (isMine(r) ? mutate(r) : null);
    const throttle = new ProgressThrottle(async (u) => {
      await store.update(id, owned((r) => ({ ...r, ...u })));
    });
    const leaseMs = this.deps.leaseMs ?? 2500;
    const lease = () => store.holdLease(id, workerName, leaseMs).catch(() => undefined);
    await lease();
    const renew = setInterval(lease, Math.max(50, Math.floor(leaseMs / 3)));
    const poll = setInterval(() => {
      store
        .get(id)
        .then((r) => {
          if (r && !isTerminal(r.status) && !isMine(r)) this.cancel(id, { kind: 'superseded', by: r.worker ?? 'unknown' });
          else if (r?.cancel_requested_at) this.cancel(id, { kind: 'user', by: r.cancelled_by ?? 'unknown' });
        })
        .catch(() => undefined);
    }, this.deps.cancelPollMs ?? 1000);
    const startedAt = Date.now();
    const milestones = progressMilestones(jobLog);
    jobLog.info('Job started', 'job.start', { job_type: record.type, attempt: record.attempts, worker: workerName });
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      logger: jobLog,
      outputsDir: paths.outputsDir(id),
      progress: (u) => {
        const update = { ...u, progress: Math.min(1, Math.max(0, u.progress)) };
        throttle.push(update);
        milestones(update);
      },
      addOutput: async (output: JobOutput) => {
        await store.update(id, owned((r) => ({ ...r, outputs: [...r.outputs.filter((o) => o.name !== output.name), output] })));
      },
      removeOutput: async (name: string) => {
        if (!isMine(await store.update(id, owned((r) => ({ ...r, outputs: r.outputs.filter((o) => o.name !== name) }))))) return;
        await fs.rm(paths.outputFile(id, name), { force: true });
      },
    };
    try {
      const extra = await this.runHandler(record, ctx);
      await throttle.flush();
      const current = await store.get(id).catch(() => record); // Redis away: persist() retries below
      if (!isMine(current)) return this.superseded(record, jobLog, current, 'completed');
      // Every outcome is logged before it is recorded: whoever sees the final status finds its line.
      jobLog.info('Job completed', 'job.complete', { duration_s: Math.round((Date.now() - startedAt) / 100) / 10, outputs: current!.outputs.length });
      await this.persist(id, owned((r) => ({ ...r, ...extra, status: 'completed', progress: 1, eta_seconds: 0, finished_at: now() })));
    } catch (err) {
      // The last progress says where it stopped: worth keeping on a failed or cancelled record.
      await throttle.flush();
      const current = await store.get(id).catch(() => record);
      if (entry.reason?.kind === 'superseded' || !isMine(current)) return this.superseded(record, jobLog, current, errorMessage(err));
      if (controller.signal.aborted || err instanceof JobCancelledError) {
        await this.finishCancelled(id, jobLog, entry.reason ?? { kind: 'user', by: 'unknown' }, owned);
      } else if (err instanceof JobDeferredError && this.deps.requeue) {
        await this.defer(record, jobLog, err, owned);
      } else if (err instanceof NonRetryableError || !queueWillRetry || record.attempts >= MAX_ATTEMPTS) {
        await this.finishFailed(id, jobLog, err, owned);
      } else {
        await this.scheduleRetry(record, jobLog, err, owned);
        throw err; // bee-queue puts the job in its delayed set; a worker takes it after the backoff
      }
    } finally {
      clearInterval(poll);
      clearInterval(renew);
      await store.dropLease(id, workerName).catch(() => undefined);
      this.running.delete(id);
    }
  }

  /** Parses the record with its type's input schema and runs the type's handler. */
  private async runHandler(record: JobRecord, ctx: JobContext): Promise<Partial<JobRecord> | void> {
    const parsed = jobInputSchemas[record.type].safeParse(record);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
      throw new NonRetryableError(`This ${record.type} job's record cannot be run (${problems})`);
    }
    // The record's type picked both the schema and the handler, so they belong together.
    const handler = this.deps.handlers[record.type] as JobHandler<JobType>;
    return handler({ ...(parsed.data as object), id: record.id } as Parameters<typeof handler>[0], ctx);
  }

  /**
   * This worker's attempt lost the job to another worker (or the job was finished meanwhile): its
   * outcome is said in the job's log, for whoever debugs the run, and never written to the record.
   */
  private superseded(record: JobRecord, jobLog: JobLogger, current: JobRecord | null, outcome: string): void {
    const by = current?.worker ?? 'unknown';
    jobLog.warning(
      `Attempt ${record.attempts} on ${this.deps.workerName} ended (${outcome}) after the job had passed to ${by} (attempt ${current?.attempts ?? '?'}); its outcome is not recorded`,
      'job.superseded',
      { attempt: record.attempts, worker: this.deps.workerName, current_worker: by, current_attempt: current?.attempts, outcome },
    );
  }

  /**
   * Back to `queued` without spending an attempt, and into the queue again after the delay. The
   * new queue entry is saved before the record changes, so a worker dying in between leaves a job
   * that runs again rather than one nobody will ever take.
   */
  private async defer(record: JobRecord, jobLog: JobLogger, err: JobDeferredError, guard = (m: JobMutator) => m): Promise<void> {
    await this.deps.requeue!({ id: record.id, correlation_id: record.correlation_id, type: record.type }, err.delayMs);
    jobLog.info(`${err.message}; back in the queue`, 'job.deferred', { delay_ms: err.delayMs });
    await this.persist(
      record.id,
      guard((r) => ({ ...r, status: 'queued', attempts: Math.max(0, r.attempts - 1), message: err.message, started_at: undefined, worker: undefined, eta_seconds: undefined })),
    );
  }

  private async finishFailed(id: string, jobLog: JobLogger, err: unknown, guard = (m: JobMutator) => m): Promise<void> {
    const error = jobLog.withoutVolumeRoot(errorMessage(err)); // the record is an API answer: no server paths
    jobLog.error(`Job failed: ${error}`, 'job.failed', { error, error_type: err instanceof Error ? err.name : typeof err });
    await this.persist(id, guard((r) => ({ ...r, status: 'failed', error, finished_at: now() })));
  }

  private async scheduleRetry(record: JobRecord, jobLog: JobLogger, err: unknown, guard = (m: JobMutator) => m): Promise<void> {
    const error = jobLog.withoutVolumeRoot(errorMessage(err));
    const message = `Attempt ${record.attempts} failed (${error}); it will be retried`;
    jobLog.warning(message, 'job.retry', { attempt: record.attempts, error, error_type: err instanceof Error ? err.name : typeof err });
    await this.persist(record.id, guard((r) => ({ ...r, status: 'queued', message, eta_seconds: undefined })));
  }

  private async finishCancelled(id: string, jobLog: JobLogger, reason: CancelReason, guard = (m: JobMutator) => m): Promise<void> {
    const by = reason.kind === 'user' ? reason.by : `worker:${this.deps.workerName}`;
    const message = reason.kind === 'user' ? 'Cancelled by request' : 'Cancelled: worker shutting down';
    jobLog.warning(message, 'job.cancelled', { cancelled_by: by });
    await this.persist(id, guard((r) => ({
      ...r,
      status: 'cancelled',
      message,
      cancelled_by: r.cancelled_by ?? by,
      cancel_requested_at: r.cancel_requested_at ?? now(),
      finished_at: now(),
    })));
  }

  /**
   * An outcome must reach the record: if Redis is briefly away, keep trying for about half a
   * minute instead of leaving the job `running` for the stall check to run it again.
   */
  private async persist(id: string, mutate: JobMutator): Promise<JobRecord | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.deps.store.update(id, mutate);
      } catch (err) {
        if (attempt >= 10) throw err;
        this.log.warn({ job_id: id, err: errorMessage(err) }, 'could not record the outcome yet; retrying');
        await sleep(Math.min(250 * 2 ** attempt, 5000));
      }
    }
  }
}
