/**
 * Removes a training's dataset snapshot once nothing can resume from it (training-files.ts: a
 * final job that is not a failed or cancelled one with a checkpoint nobody resumed yet). A re-run
 * after a worker death happens while the job is still active, so it still finds its snapshot.
 * The config beside the snapshot stays; checkpoints and samples live on in the job's outputs.
 *
 * Two triggers: job updates seen by this API process (any API process may clean; removal is
 * idempotent), and a sweep at start for jobs that ended while no API was running. The sweep also
 * takes snapshots whose record is gone (archived by retention) once they are an hour old; a
 * younger one may belong to a training.start that has not written its record yet.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { isTerminal, type JobRecord } from '../../shared/jobs.js';
import { listDir } from '../../shared/node/atomic-write.js';
import type { JobEvents } from '../../shared/node/job-events.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { releaseSnapshotIfDone } from '../../shared/node/training-files.js';

const ORPHAN_AGE_MS = 60 * 60_000;

export class SnapshotJanitor {
  private stopListening: (() => void) | null = null;

  constructor(private readonly deps: { events: JobEvents; store: JobStore; paths: VolumePaths; logger: Logger }) {}

  private datasetDir(jobId: string): string {
    return path.join(this.deps.paths.trainingDir(jobId), 'dataset');
  }

  /** A final training's snapshot, when nothing can resume from it any more. */
  async clean(record: JobRecord): Promise<boolean> {
    if (!(await releaseSnapshotIfDone(this.deps.paths, record))) return false;
    this.deps.logger.info({ job_id: record.id }, 'dataset snapshot removed: nothing can resume from this training');
    return true;
  }

  /** A snapshot whose record is gone (archived): nothing can resume from it. */
  private async cleanOrphan(jobId: string): Promise<boolean> {
    const dir = this.datasetDir(jobId);
    const there = await fs.lstat(dir).then(() => true, () => false);
    if (!there) return false;
    await fs.rm(dir, { recursive: true, force: true });
    this.deps.logger.info({ job_id: jobId }, 'dataset snapshot removed: its job record is gone');
    return true;
  }

  /** Starts cleaning on final updates; returns at once, the start-up sweep runs in the background. */
  start(): void {
    this.stopListening = this.deps.events.onAnyJob((record: JobRecord) => {
      if (record.type === 'training' && isTerminal(record.status)) {
        this.clean(record).catch((err: unknown) => this.deps.logger.warn({ err, job_id: record.id }, 'could not remove a dataset snapshot'));
      }
    });
    this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'dataset snapshot sweep failed'));
  }

  /** Removes every snapshot nothing can resume from (or whose record is gone and the snapshot is old). */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const id of await listDir(path.join(this.deps.paths.root, 'training'))) {
      if (!id.startsWith('training-')) continue;
      const record = await this.deps.store.get(id).catch(() => undefined);
      if (record === undefined) continue; // Redis trouble: judge it next time
      if (record && !isTerminal(record.status)) continue;
      if (record) {
        if (await this.clean(record)) removed++;
        continue;
      }
      const stat = await fs.lstat(this.datasetDir(id)).catch(() => null);
      if (!stat || now - stat.mtimeMs < ORPHAN_AGE_MS) continue;
      if (await this.cleanOrphan(id)) removed++;
    }
    return removed;
  }

  stop(): void {
    this.stopListening?.();
    this.stopListening = null;
  }
}
