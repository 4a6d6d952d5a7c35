/**
 * The contract between the processor and a job type. A job type is one folder here exporting a
 * handler factory, one line in registry.ts and its input schema in src/shared/job-inputs.ts.
 *
 * Like a BullMQ processor, a handler gets the job and a context with an AbortSignal, a job logger
 * and a progress callback. It honours the signal, throws NonRetryableError for failures a second
 * attempt cannot fix, and returns the fields to store on the completed record. The processor
 * owns the lifecycle: status, attempts, cancel, progress throttling and milestones.
 */
import type { Redis } from 'ioredis';
import type { JobInput } from '../../shared/job-inputs.js';
import type { JobRecord, JobType } from '../../shared/jobs.js';
import type { CharacterStore } from '../../shared/node/character-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import type { CaptionBackend, ImageBackend, JobContext, TrainingBackend } from '../backends/types.js';

export interface JobHandlerDeps {
  paths: VolumePaths;
  characters: CharacterStore;
  loras: LoraStore;
  training: TrainingBackend;
  image: ImageBackend;
  caption: CaptionBackend;
  /** Job records: the purge handler stops and scrubs other jobs. */
  store: JobStore;
  /** The worker's Redis: the purge takes the job-history lock and asks for an AOF rewrite. */
  redis?: Redis;
  /** ComfyUI install whose models/loras holds links to our LoRAs (comfyui image backend only). */
  comfyuiDir?: string;
}

/** The record's id plus the fields the type's input schema parsed from it. */
export type HandlerJob<T extends JobType> = JobInput<T> & { id: string };

export type JobHandler<T extends JobType> = (job: HandlerJob<T>, ctx: JobContext) => Promise<Partial<JobRecord> | void>;

export type JobHandlers = { [T in JobType]: JobHandler<T> };
