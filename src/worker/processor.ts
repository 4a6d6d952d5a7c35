/**
 * Runs one queued job: restores its correlation context, moves the record
 * queued → running → completed | failed | cancelled, hands the backend a context with an
 * AbortSignal, a JobLogger and a throttled progress callback, and records every outcome in the
 * record and the job's log. Never throws for a job failure: the record is the truth.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { isTerminal, type JobOutput, type JobRecord, type JobType, type ProgressUpdate } from '../shared/jobs.js';
import { runWithCorrelation } from '../shared/node/correlation.js';
import { JobLogger } from '../shared/node/job-logger.js';
import type { JobStore } from '../shared/node/job-store.js';
import type { QueuePayload } from '../shared/node/queues.js';
import { resumeCheckpointPath, type VolumePaths } from '../shared/node/volume.js';
import type { CharacterStore } from '../shared/node/character-store.js';
import type { LoraStore } from '../shared/node/lora-store.js';
import { ProgressThrottle } from './progress-throttle.js';
import { copyLossHistory } from './loss-history.js';
import { releaseSnapshotIfDone } from '../shared/node/training-files.js';
import { JobCancelledError, type ImageBackend, type JobContext, type TrainingBackend } from './backends/types.js';

/** A job whose worker died this many times is failed instead of re-run. */
export const MAX_ATTEMPTS = 2;

type CancelReason = { kind: 'user'; by: string } | { kind: 'shutdown' };

export interface ProcessorDeps {
  store: JobStore;
  paths: VolumePaths;
  characters: CharacterStore;
  loras: LoraStore;
  training: TrainingBackend;
  image: ImageBackend;
  logger: Logger;
  workerName: string;
  /** How often the record is re-read for a cancel request pub/sub may have missed. */
  cancelPollMs?: number;
  /**
   * Lifetime of the running-job lease. Must stay below bee-queue's stall interval, so a dead
   * worker's lease is gone before its job is delivered again.
   */
  leaseMs?: number;
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

  process(type: JobType, payload: QueuePayload): Promise<void> {
    return runWithCorrelation(payload.correlation_id, () => this.run(type, payload.id));
  }

  private async run(type: JobType, id: string): Promise<void> {
    const { store, paths } = this.deps;
    const jobLog = new JobLogger({ jobId: id, service: 'worker', logPath: paths.jobLog(id), logger: this.log });
    try {
      const record = await store.get(id);
      if (!record) return void this.log.warn({ job_id: id }, 'queued job has no record; dropped');
      if (isTerminal(record.status)) return;
      if (record.cancel_requested_at) return void (await this.finishCancelled(id, jobLog, { kind: 'user', by: record.cancelled_by ?? 'unknown' }));
      const attempts = record.attempts + 1;
      if (record.status === 'running') {
        const holder = await store.leaseHolder(id);
        if (holder && holder !== this.deps.workerName) {
          return void this.log.warn({ job_id: id, holder }, 'second delivery of a job that is running elsewhere; dropped');
        }
        if (attempts > MAX_ATTEMPTS) {
          const error = `Worker stopped responding while running this job (${record.attempts} attempts); not retried again`;
          await store.update(id, (r) => ({ ...r, status: 'failed', error, finished_at: now() }));
          return void jobLog.error(error, 'job.failed', { attempts: record.attempts, previous_worker: record.worker });
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
              // A re-run starts from scratch: nothing of the lost attempt's progress is true any more.
              outputs: [],
              progress: 0,
              current_step: undefined,
              total_steps: undefined,
              loss: undefined,
              it_per_sec: undefined,
              eta_seconds: undefined,
              message: undefined,
            }
          : null,
      );
      if (!started || started.status !== 'running' || started.attempts !== attempts) return;
      await this.execute(type, started, jobLog);
    } finally {
      if (type === 'training') await this.releaseSnapshot(id);
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
      this.log.warn({ job_id: id, err: errorMessage(err) }, 'could not delete the dataset snapshot');
    }
  }

  private async execute(type: JobType, record: JobRecord, jobLog: JobLogger): Promise<void> {
    const { store, paths } = this.deps;
    const id = record.id;
    const controller = new AbortController();
    const entry: { controller: AbortController; reason?: CancelReason } = { controller };
    this.running.set(id, entry);
    const throttle = new ProgressThrottle(async (u) => {
      await store.update(id, (r) => ({ ...r, ...u }));
    });
    const leaseMs = this.deps.leaseMs ?? 2500;
    const lease = () => store.holdLease(id, this.deps.workerName, leaseMs).catch(() => undefined);
    await lease();
    const renew = setInterval(lease, Math.max(50, Math.floor(leaseMs / 3)));
    const poll = setInterval(() => {
      store
        .get(id)
        .then((r) => r?.cancel_requested_at && this.cancel(id, { kind: 'user', by: r.cancelled_by ?? 'unknown' }))
        .catch(() => undefined);
    }, this.deps.cancelPollMs ?? 1000);
    const startedAt = Date.now();
    let lastDecile = 0;
    const milestone = (u: ProgressUpdate) => {
      // The JSONL keeps a line per 10 % so a reloaded page or a downloaded log can show the curve.
      const decile = Math.floor(u.progress * 10);
      if (decile <= lastDecile) return;
      lastDecile = decile;
      jobLog.info(`Progress ${decile * 10}%`, 'job.progress', {
        progress: Number(u.progress.toFixed(3)),
        current_step: u.current_step,
        total_steps: u.total_steps,
        loss: u.loss,
        eta_seconds: u.eta_seconds,
      });
    };
    jobLog.info('Job started', 'job.start', { job_type: type, attempt: record.attempts, worker: this.deps.workerName });
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      logger: jobLog,
      outputsDir: paths.outputsDir(id),
      progress: (u) => {
        const update = { ...u, progress: Math.min(1, Math.max(0, u.progress)) };
        throttle.push(update);
        milestone(update);
      },
      addOutput: async (output: JobOutput) => {
        await store.update(id, (r) => ({ ...r, outputs: [...r.outputs.filter((o) => o.name !== output.name), output] }));
      },
      removeOutput: async (name: string) => {
        await store.update(id, (r) => ({ ...r, outputs: r.outputs.filter((o) => o.name !== name) }));
        await fs.rm(paths.outputFile(id, name), { force: true });
      },
    };
    try {
      const extra = type === 'training' ? await this.runTraining(record, ctx) : await this.runGeneration(record, ctx);
      await throttle.flush();
      const done = await store.update(id, (r) => ({ ...r, ...extra, status: 'completed', progress: 1, eta_seconds: 0, finished_at: now() }));
      jobLog.info('Job completed', 'job.complete', {
        duration_s: Math.round((Date.now() - startedAt) / 100) / 10,
        outputs: done?.outputs.length ?? 0,
      });
    } catch (err) {
      // The last progress says where it stopped: worth keeping on a failed or cancelled record.
      await throttle.flush();
      if (controller.signal.aborted || err instanceof JobCancelledError) {
        await this.finishCancelled(id, jobLog, entry.reason ?? { kind: 'user', by: 'unknown' });
      } else {
        const error = errorMessage(err);
        await store.update(id, (r) => ({ ...r, status: 'failed', error, finished_at: now() }));
        jobLog.error(`Job failed: ${error}`, 'job.failed', { error, error_type: err instanceof Error ? err.name : typeof err });
      }
    } finally {
      clearInterval(poll);
      clearInterval(renew);
      await store.dropLease(id, this.deps.workerName).catch(() => undefined);
      this.running.delete(id);
    }
  }

  private async finishCancelled(id: string, jobLog: JobLogger, reason: CancelReason): Promise<void> {
    const by = reason.kind === 'user' ? reason.by : `worker:${this.deps.workerName}`;
    const message = reason.kind === 'user' ? 'Cancelled by request' : 'Cancelled: worker shutting down';
    await this.deps.store.update(id, (r) => ({
      ...r,
      status: 'cancelled',
      message,
      cancelled_by: r.cancelled_by ?? by,
      cancel_requested_at: r.cancel_requested_at ?? now(),
      finished_at: now(),
    }));
    jobLog.warning(message, 'job.cancelled', { cancelled_by: by });
  }

  private async runTraining(record: JobRecord, ctx: JobContext): Promise<Partial<JobRecord>> {
    const { characters, loras, paths, training } = this.deps;
    const character = await characters.require(record.character_id ?? '');
    const workDir = paths.trainingDir(record.id);
    if (record.resumed_from && record.resume_step !== undefined) await copyLossHistory(paths, record.resumed_from, record.resume_step, ctx);
    const result = await training.train(
      {
        config: record.config,
        character: { id: character.id, name: character.name, trigger_word: character.trigger_word },
        datasetDir: path.join(workDir, 'dataset'),
        workDir,
        samplePrompts: record.sample_prompts,
        ...(record.resume_step !== undefined ? { resumeFrom: { path: resumeCheckpointPath(workDir), step: record.resume_step } } : {}),
        ...(record.base_lora_id ? { initialWeights: loras.filePath(record.base_lora_id) } : {}),
      },
      ctx,
    );
    const lora = await loras.register(
      {
        id: `lora-${randomBytes(6).toString('hex')}`,
        character_id: character.id,
        character_name: character.name,
        job_id: record.id,
        trigger_word: character.trigger_word,
        steps: result.steps,
        lora_rank: Number(record.config.lora_rank),
        created_at: now(),
        ...(record.base_lora_id ? { parent_lora_id: record.base_lora_id } : {}),
      },
      result.loraPath,
    );
    const name = `${lora.id}.safetensors`;
    await fs.mkdir(ctx.outputsDir, { recursive: true });
    await fs.link(loras.filePath(lora.id), path.join(ctx.outputsDir, name)).catch(() =>
      fs.copyFile(loras.filePath(lora.id), path.join(ctx.outputsDir, name)),
    );
    await ctx.addOutput({ name, kind: 'lora', step: result.steps });
    ctx.logger.info(`LoRA ${lora.id} registered`, 'lora.registered', { lora_id: lora.id, size: lora.size });
    return { result_lora_id: lora.id };
  }

  private async runGeneration(record: JobRecord, ctx: JobContext): Promise<Partial<JobRecord>> {
    const { loras, image } = this.deps;
    let lora: { id: string; path: string; trigger_word: string } | undefined;
    if (record.lora_id) {
      const meta = await loras.require(record.lora_id);
      lora = { id: meta.id, path: loras.filePath(meta.id), trigger_word: meta.trigger_word };
    }
    const config = record.config as JobRecord['config'] & { prompt: string; model_variant: string; seed: number };
    await image.generate({ config, count: record.count ?? 1, lora }, ctx);
    return {};
  }
}
