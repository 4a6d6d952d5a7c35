/**
 * Per-job JSONL log (docs/contracts.md). Each record is one `write()` on an O_APPEND descriptor, so the
 * API and worker processes can append to the same file without interleaving lines. Every record
 * is mirrored to pino with job_id and correlation_id.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { JobLogLevel, JobLogRecord, JobLogService, LogFields } from '../job-log.js';
import { getCorrelationId } from './correlation.js';
import { FileAppender } from './file-appender.js';

export type { JobLogLevel, JobLogRecord, JobLogService, LogFields };

const PINO_LEVEL = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' } as const;

const APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;

/** One per process: the API's job.queued lines, batched onto a thread of their own. */
const appender = new FileAppender();

/** Log folders this process has made: one mkdir per folder, not one per job (ENOENT makes it again). */
const madeDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  madeDirs.add(dir);
}

const LINE_KEYS = ['ts', 'level', 'service', 'job_id', 'correlation_id', 'event', 'msg', 'fields'] as const;

const bigintAsString = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** Key order is part of the contract: ts, level, service, job_id, correlation_id, event, msg, fields. */
export function formatJobLogLine(record: JobLogRecord): string {
  const ordered: Record<string, unknown> = {};
  for (const key of LINE_KEYS) {
    const value = key === 'fields' ? (record.fields && Object.keys(record.fields).length > 0 ? record.fields : undefined) : record[key];
    if (value !== undefined && value !== null) ordered[key] = value;
  }
  try {
    return JSON.stringify(ordered) + '\n';
  } catch {
    // A BigInt somewhere in the fields: a replacer for every value costs, so only when needed.
    return JSON.stringify(ordered, bigintAsString) + '\n';
  }
}

export class JobLogger {
  readonly jobId: string;
  readonly service: JobLogService;
  readonly path: string;
  private fd: number | null = null;
  private readonly pino: Logger;
  private readonly fixedCorrelationId?: string;

  /** `VOLUME_ROOT/`: cut from paths in the downloadable log, which shows them relative to the volume. */
  private readonly rootPrefix: string | null;
  /** The same prefix as it reads inside a JSON string, cut from the finished line in one pass. */
  private readonly jsonRootPrefix: string | null;

  /** `volumeRoot` defaults to the folder two levels above the log's (`VOLUME_ROOT/logs/jobs/<id>.jsonl`). */
  constructor(opts: { jobId: string; service: JobLogService; logPath: string; logger: Logger; correlationId?: string; volumeRoot?: string }) {
    this.jobId = opts.jobId;
    this.service = opts.service;
    this.path = opts.logPath;
    const root = path.resolve(opts.volumeRoot ?? path.join(path.dirname(opts.logPath), '..', '..'));
    this.rootPrefix = root === path.parse(root).root ? null : root + path.sep;
    this.jsonRootPrefix = this.rootPrefix === null ? null : JSON.stringify(this.rootPrefix).slice(1, -1);
    this.fixedCorrelationId = opts.correlationId;
    this.pino = opts.logger.child({ job_id: opts.jobId });
  }

  debug(msg: string, event?: string, fields?: LogFields): void {
    this.log('DEBUG', msg, event, fields);
  }
  info(msg: string, event?: string, fields?: LogFields): void {
    this.log('INFO', msg, event, fields);
  }
  warning(msg: string, event?: string, fields?: LogFields): void {
    this.log('WARNING', msg, event, fields);
  }
  error(msg: string, event?: string, fields?: LogFields): void {
    this.log('ERROR', msg, event, fields);
  }

  log(level: JobLogLevel, msg: string, event?: string, fields?: LogFields): void {
    const line = this.format(level, msg, event, fields);
    try {
      fs.writeSync(this.descriptor(), line);
    } catch (err) {
      // A full or unwritable volume must not take the job down with it; pino still has the line.
      this.pino.error({ err }, 'job log write failed');
    }
  }

  /**
   * The same record as `log`, appended without holding a descriptor and without blocking the event
   * loop (file-appender.ts: a thread of its own, one message per event-loop turn): for the API,
   * which writes one line per new job. Resolves once the line is in the file, so what the caller does next (enqueue the
   * job) comes after it in the log. One `write()` on an O_APPEND descriptor, as `log` does.
   */
  async logAsync(level: JobLogLevel, msg: string, event?: string, fields?: LogFields): Promise<void> {
    const line = this.format(level, msg, event, fields);
    try {
      await appender.append(this.path, line);
    } catch (err) {
      this.pino.error({ err }, 'job log write failed');
    }
  }

  /** Builds the file's line (paths relative to the volume) and mirrors the record to pino. */
  private format(level: JobLogLevel, msg: string, event?: string, fields?: LogFields): string {
    const correlation_id = this.fixedCorrelationId ?? getCorrelationId();
    const record: JobLogRecord = {
      ts: new Date().toISOString(),
      level,
      service: this.service,
      job_id: this.jobId,
      correlation_id,
      event,
      msg,
      fields,
    };
    // The server log keeps absolute paths; the job's own log (a download) shows them relative.
    this.pino[PINO_LEVEL[level]]({ event, correlation_id, ...(fields ? { fields } : {}) }, msg);
    const line = formatJobLogLine(record);
    const prefix = this.jsonRootPrefix;
    return prefix !== null && line.includes(prefix) ? line.split(prefix).join('') : line;
  }

  /**
   * Every `VOLUME_ROOT/` in strings (nested too) becomes relative: `/vol/training/x` → `training/x`.
   * Also for what a user sees elsewhere, like a failed job's `error`.
   */
  withoutVolumeRoot<T>(value: T, depth = 0): T {
    const prefix = this.rootPrefix;
    if (prefix === null || depth > 8) return value;
    if (typeof value === 'string') return (value.includes(prefix) ? value.split(prefix).join('') : value) as T;
    if (Array.isArray(value)) return value.map((v) => this.withoutVolumeRoot(v, depth + 1)) as T;
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.withoutVolumeRoot(v, depth + 1)])) as T;
    }
    return value;
  }

  private descriptor(): number {
    if (this.fd === null) {
      const open = () => fs.openSync(this.path, APPEND_FLAGS, 0o644);
      ensureDir(path.dirname(this.path));
      try {
        this.fd = open();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        madeDirs.delete(path.dirname(this.path));
        ensureDir(path.dirname(this.path));
        this.fd = open();
      }
    }
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
  }
}
