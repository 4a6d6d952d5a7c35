/**
 * A job's JSONL log: finding it for download, and following it as it grows. Following reads
 * what is there, then sleeps until something can have changed: the file was written (fs.watch),
 * the job's record changed (pub/sub, which also tells a writer on another machine), or a slow
 * backstop for a network volume that reports neither. It ends once the job is terminal and the
 * file is read to its end. Only whole lines go out, each chunk with the byte offset after it, so
 * a reader that reconnects resumes exactly where it stopped.
 */
import fs from 'node:fs';
import { AppError } from '../../shared/errors.js';
import { isTerminal, LOG_ID_PATTERN, type JobRecord } from '../../shared/jobs.js';
import type { JobEvents } from '../../shared/node/job-events.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { INVALID_JOB_ID, openVolumeFile, type OpenedFile } from './files.service.js';

/** Whole lines read from a log, and the byte offset just after them. */
export interface LogChunk {
  text: Buffer;
  offset: number;
}

/** Backstop wake-up when neither fs.watch nor pub/sub said anything (e.g. NFS, a lost message). */
export const FOLLOW_BACKSTOP_MS = 2000;
const READ_BYTES = 64 * 1024;

/** A wake-up that is not lost when it rings while nobody is waiting. */
class Bell {
  private rung = false;
  private waiter: (() => void) | null = null;
  ring = (): void => {
    if (this.waiter) this.waiter();
    else this.rung = true;
  };
  /** Resolves true when rung, false when `ms` passed first. */
  wait(ms: number): Promise<boolean> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve(false);
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve(true);
      };
    });
  }
}

function watchQuietly(file: string, onChange: () => void): () => void {
  try {
    const watcher = fs.watch(file, { persistent: false }, onChange);
    watcher.on('error', () => undefined); // e.g. the file was removed: the backstop still wakes us
    return () => watcher.close();
  } catch {
    return () => undefined; // no inotify left: pub/sub and the backstop still work
  }
}

export class JobLogsService {
  constructor(private readonly deps: { paths: VolumePaths; store: JobStore; events: JobEvents }) {}

  /** The log opened for reading (the caller closes it); a link out of the volume is "not found" too. */
  async open(jobId: string): Promise<OpenedFile & { file: string }> {
    if (!LOG_ID_PATTERN.test(jobId)) throw new AppError('BAD_REQUEST', INVALID_JOB_ID);
    let file: string;
    try {
      file = this.deps.paths.jobLog(jobId); // throws for ids too long to be a file name: no such log either
    } catch {
      throw AppError.notFound('Log file not found');
    }
    const opened = await openVolumeFile(this.deps.paths, file);
    if (!opened) throw AppError.notFound('Log file not found');
    return { ...opened, file, name: `${jobId}.jsonl` };
  }

  /** Throws like open() when there is no log to follow; opens nothing. */
  async requireLog(jobId: string): Promise<void> {
    await (await this.open(jobId)).handle.close();
  }

  /**
   * The log from byte `from` (0, or an offset this generator handed out) to the end, then every
   * appended line, until the job is terminal (or its record is gone) and everything is read.
   */
  async *follow(jobId: string, opts: { from?: number; signal?: AbortSignal } = {}): AsyncGenerator<LogChunk> {
    const { signal } = opts;
    const { file, handle } = await this.open(jobId);
    const bell = new Bell();
    let latest: JobRecord | null | undefined; // undefined: not known yet
    const offEvents = this.deps.events.onJob(jobId, (record) => {
      if (!latest || record.rev >= latest.rev) latest = record;
      bell.ring();
    });
    const unwatch = watchQuietly(file, bell.ring);
    signal?.addEventListener('abort', bell.ring);
    try {
      await this.deps.events.whenReady(); // from here on no status change is missed
      const buffer = Buffer.alloc(READ_BYTES);
      let position = Math.max(0, Math.floor(opts.from ?? 0));
      let carry = Buffer.alloc(0);
      let askStore = true;
      for (;;) {
        if (signal?.aborted) return;
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
        if (bytesRead > 0) {
          position += bytesRead;
          const chunk = Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
          const cut = chunk.lastIndexOf(0x0a);
          carry = chunk.subarray(cut + 1);
          if (cut >= 0) yield { text: chunk.subarray(0, cut + 1), offset: position - carry.length };
          continue;
        }
        if (askStore) {
          const stored = await this.deps.store.get(jobId).catch(() => undefined); // Redis away: keep following
          if (stored !== undefined && (!latest || !stored || stored.rev >= latest.rev)) latest = stored;
          askStore = false;
        }
        if (latest === null || (latest && isTerminal(latest.status))) {
          // The final lines may have landed between our last read and the terminal status.
          if ((await handle.stat()).size > position) continue;
          if (carry.length) yield { text: carry, offset: position }; // a last line without its newline
          return;
        }
        const rung = await bell.wait(FOLLOW_BACKSTOP_MS);
        if (!rung) askStore = true;
      }
    } finally {
      signal?.removeEventListener('abort', bell.ring);
      offEvents();
      unwatch();
      await handle.close();
    }
  }
}
