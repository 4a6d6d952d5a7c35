/**
 * Job vocabulary (docs/contracts.md): types, statuses, names. Plain data with no zod, so the SPA
 * can use it without loading zod; the record's schema is in job-record.ts.
 */
import type { JobRecord } from './job-record.js';

export const JOB_TYPES = ['training', 'generation', 'purge', 'caption', 'evaluation'] as const;
export type JobType = (typeof JOB_TYPES)[number];

export const JOB_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminal = (status: JobStatus): boolean => TERMINAL_STATUSES.includes(status);

/** `<type>-` + 12 hex; built from JOB_TYPES so a new job type needs no second edit here. */
export const JOB_ID_PATTERN = new RegExp(`^(${JOB_TYPES.join('|')})-[0-9a-f]{12}$`);
/** What the logs and files routes accept before looking anything up. */
export const LOG_ID_PATTERN = /^[a-zA-Z0-9_-]+$/;
/** Output file names: flat, no separators, no leading dot. */
export const OUTPUT_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

export const OUTPUT_KINDS = ['image', 'sample', 'checkpoint', 'lora'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export type { JobOutput, JobRecord } from './job-record.js';

/** What a handler reports as it goes; the processor throttles and stores it. */
export interface ProgressUpdate {
  progress: number;
  current_step?: number;
  total_steps?: number;
  loss?: number;
  it_per_sec?: number;
  eta_seconds?: number;
  message?: string;
}

export interface JobPage {
  items: JobRecord[];
  /** Pass back as `cursor` for the next page; null at the end. Opaque. */
  nextCursor: string | null;
}
