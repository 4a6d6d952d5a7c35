/**
 * What a training job leaves on the volume and when it may go. `training/{id}/` holds the dataset
 * snapshot and the trainer's own folder; `outputs/{id}/` holds the checkpoints, samples and LoRA
 * link the job record lists. A snapshot is kept only while something can still resume from it:
 * a failed or cancelled job with a checkpoint that nobody resumed yet.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { JobRecord } from '../jobs.js';
import { isTerminal } from '../jobs.js';
import { resumeCheckpointPath, type VolumePaths } from './volume.js';

export interface CheckpointRef {
  step: number;
  /** Absolute path of the file. */
  file: string;
}

/** Checkpoint outputs whose file is still there, newest step first. */
export function checkpointsOf(paths: VolumePaths, record: JobRecord): (CheckpointRef & { name: string })[] {
  return record.outputs
    .filter((o) => o.kind === 'checkpoint' && typeof o.step === 'number')
    .map((o) => ({ name: o.name, step: o.step!, file: paths.outputFile(record.id, o.name) }))
    .filter((c) => existsSync(c.file))
    .sort((a, b) => b.step - a.step);
}

/**
 * The checkpoint a resume would start from: the newest one the job saved, or, for a resumed job
 * stopped before it saved anything, the one it was itself resumed from.
 */
export function newestCheckpoint(paths: VolumePaths, record: JobRecord): CheckpointRef | null {
  const own = checkpointsOf(paths, record)[0];
  if (own) return { step: own.step, file: own.file };
  if (record.resume_step !== undefined) {
    const staged = resumeCheckpointPath(paths.trainingDir(record.id));
    if (existsSync(staged)) return { step: record.resume_step, file: staged };
  }
  return null;
}

/** Why this job cannot be resumed, as the sentence a user reads; null when it can. */
export function whyNotResumable(paths: VolumePaths, record: JobRecord): string | null {
  if (record.type !== 'training') return `Job '${record.id}' is not a training job`;
  if (record.status === 'queued') return `Job '${record.id}' is still queued; nothing to resume yet`;
  if (record.status === 'running') return `Job '${record.id}' is still running; cancel it first or wait for it to finish`;
  if (record.status === 'completed') return `Job '${record.id}' completed; nothing to resume (use Continue to train more steps)`;
  if (record.resumed_by) return `Job '${record.id}' was already resumed by ${record.resumed_by}`;
  if (!newestCheckpoint(paths, record)) return `Job '${record.id}' has no checkpoint yet; nothing to resume from`;
  return null;
}

/** True when the job is final and its snapshot can go (see the module comment). */
export function snapshotReleasable(paths: VolumePaths, record: JobRecord): boolean {
  return record.type === 'training' && isTerminal(record.status) && whyNotResumable(paths, record) !== null;
}

/** What stays of a released training folder: the config the trainer ran with, a few KB, for debugging. */
const KEPT_AFTER_RELEASE = new Set(['config.yaml']);

/**
 * Deletes the dataset snapshot and the trainer's files in `training/{id}/` when nothing can
 * resume from the job any more (its outputs keep their own links); true when it deleted anything.
 */
export async function releaseSnapshotIfDone(paths: VolumePaths, record: JobRecord | null): Promise<boolean> {
  if (!record || !snapshotReleasable(paths, record)) return false;
  const dir = paths.trainingDir(record.id);
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return false;
  }
  const doomed = entries.filter((e) => !KEPT_AFTER_RELEASE.has(e));
  // rm does not follow symlinks: a link inside the folder is removed, never its target.
  for (const entry of doomed) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
  return doomed.length > 0;
}
