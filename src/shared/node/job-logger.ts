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

export type { JobLogLevel, JobLogRecord, JobLogService, LogFields };

const PINO_LEVEL = { DEBUG: 'debug', INFO: 'info', WARNING: 'warn', ERROR: 'error' } as const;

/** Key order is part of the contract: ts, level, service, job_id, correlation_id, event, msg, fields. */
export function formatJobLogLine(record: JobLogRecord): string {
  const ordered: Record<string, unknown> = {
    ts: record.ts,
    level: record.level,
    service: record.service,
    job_id: record.job_id,
    correlation_id: record.correlation_id,
    event: record.event,
    msg: record.msg,
    fields: record.fields && Object.keys(record.fields).length > 0 ? record.fields : undefined,
  };
  for (const key of Object.keys(ordered)) if (ordered[key] === undefined || ordered[key] === null) delete ordered[key];
  return JSON.stringify(ordered, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n';
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

  /** `volumeRoot` defaults to the folder two levels above the log's (`VOLUME_ROOT/logs/jobs/<id>.jsonl`). */
  constructor(opts: { jobId: string; service: JobLogService; logPath: string; logger: Logger; correlationId?: string; volumeRoot?: string }) {
    this.jobId = opts.jobId;
    this.service = opts.service;
    this.path = opts.logPath;
    const root = path.resolve(opts.volumeRoot ?? path.join(path.dirname(opts.logPath), '..', '..'));
    this.rootPrefix = root === path.parse(root).root ? null : root + path.sep;
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
    const correlation_id = this.fixedCorrelationId ?? getCorrelationId();
    const record: JobLogRecord = {
      ts: new Date().toISOString(),
      level,
      service: this.service,
      job_id: this.jobId,
      correlation_id,
      event,
      msg: this.withoutVolumeRoot(msg),
      fields: fields && (this.withoutVolumeRoot(fields) as LogFields),
    };
    // The server log keeps absolute paths; the job's own log (a download) shows them relative.
    this.pino[PINO_LEVEL[level]]({ event, correlation_id, ...(fields ? { fields } : {}) }, msg);
    try {
      fs.writeSync(this.descriptor(), formatJobLogLine(record));
    } catch (err) {
      // A full or unwritable volume must not take the job down with it; pino still has the line.
      this.pino.error({ err }, 'job log write failed');
    }
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
      fs.mkdirSync(path.dirname(this.path), { recursive: true });
      this.fd = fs.openSync(this.path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o644);
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
