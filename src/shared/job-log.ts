/**
 * One line of a job's JSONL log: the record every writer produces and every reader (server,
 * SPA, CLI) parses with the same function. Plain TypeScript, no zod: the SPA imports it.
 */
export const JOB_LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;
export type JobLogLevel = (typeof JOB_LOG_LEVELS)[number];
export type JobLogService = 'api' | 'worker';
export type LogFields = Record<string, unknown>;

/** Key order on disk is part of the contract: ts, level, service, job_id, correlation_id, event, msg, fields. */
export interface JobLogRecord {
  ts: string;
  level: JobLogLevel;
  service: JobLogService;
  job_id: string;
  correlation_id?: string;
  event?: string;
  msg: string;
  fields?: LogFields;
}

/** A line that is not a job-log record (a torn write, a foreign line) is kept as its text. */
export interface RawLogLine {
  raw: string;
}

export type JobLogLine = JobLogRecord | RawLogLine;

export const isRawLogLine = (line: JobLogLine): line is RawLogLine => 'raw' in line;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

/** Parses one line (without its newline); anything that is not a well-formed record comes back raw. */
export function parseJobLogLine(text: string): JobLogLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { raw: text };
  }
  if (
    isObject(value) &&
    typeof value.ts === 'string' &&
    (JOB_LOG_LEVELS as readonly unknown[]).includes(value.level) &&
    (value.service === 'api' || value.service === 'worker') &&
    typeof value.job_id === 'string' &&
    typeof value.msg === 'string' &&
    optionalString(value.correlation_id) &&
    optionalString(value.event) &&
    (value.fields === undefined || isObject(value.fields))
  ) {
    return value as unknown as JobLogRecord;
  }
  return { raw: text };
}

/** Splits a chunk of whole lines (each ending in `\n`) into parsed lines, skipping blank ones. */
export function parseJobLogText(text: string): JobLogLine[] {
  const lines: JobLogLine[] = [];
  for (const line of text.split('\n')) if (line.trim()) lines.push(parseJobLogLine(line));
  return lines;
}
