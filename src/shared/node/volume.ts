/**
 * Every path under VOLUME_ROOT is built here. Any part that came from a user is checked to be a
 * single safe segment, and the result is checked to stay under the root.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

export function safeSegment(param: string, value: string): string {
  if (!SEGMENT.test(value) || value.includes('..')) {
    throw AppError.badParam(param, `Parameter '${param}' is not a valid name`);
  }
  return value;
}

export class VolumePaths {
  readonly root: string;
  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** Joins and verifies the result stays under the root (defence in depth after safeSegment). */
  under(...parts: string[]): string {
    const full = path.resolve(this.root, ...parts);
    if (full !== this.root && !full.startsWith(this.root + path.sep)) {
      throw AppError.badParam('path', `Parameter 'path' escapes the volume`);
    }
    return full;
  }

  get jobLogsDir(): string {
    return this.under('logs', 'jobs');
  }
  jobLog(jobId: string): string {
    return this.under('logs', 'jobs', `${safeSegment('jobId', jobId)}.jsonl`);
  }
  outputsDir(jobId: string): string {
    return this.under('outputs', safeSegment('jobId', jobId));
  }
  outputFile(jobId: string, name: string): string {
    return this.under('outputs', safeSegment('jobId', jobId), safeSegment('name', name));
  }
  trainingDir(jobId: string): string {
    return this.under('training', safeSegment('jobId', jobId));
  }
  get charactersDir(): string {
    return this.under('characters');
  }
  characterDir(id: string): string {
    return this.under('characters', safeSegment('id', id));
  }
  get lorasDir(): string {
    return this.under('loras');
  }
  redisDir(): string {
    return this.under('redis');
  }
}

/** Where training.resume stages the checkpoint a resumed job starts from, inside its training folder. */
export function resumeCheckpointPath(trainingDir: string): string {
  return path.join(trainingDir, 'resume-checkpoint.safetensors');
}

/**
 * Start-up check that VOLUME_ROOT exists (or can be made) and takes a write, so a read-only or
 * wrong mount fails loudly at start instead of on the first job.
 */
export function assertVolumeWritable(root: string): void {
  const probe = path.join(root, `.isengard-write-test-${process.pid}`);
  try {
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe, { force: true });
  } catch (err) {
    throw new Error(`VOLUME_ROOT ${root} is not writable: ${(err as Error).message}`, { cause: err });
  }
}
