/**
 * What each job type's worker handler reads from the job record, as zod schemas. The API builds
 * records from the validated request (capabilitiesToZod); the worker parses the record with these
 * before running a handler, so a record it cannot run fails with a clear reason instead of a
 * TypeError deep in a backend. A new job type adds its schema here.
 */
import { z } from 'zod';
import type { JobType } from './jobs.js';
import { CAPTION_MODES, CAPTION_STYLES, CAPTION_TRIGGERS } from './captions.js';

export const trainingJobInput = z.object({
  character_id: z.string().min(1),
  config: z.looseObject({ lora_rank: z.number().int().positive() }),
  sample_prompts: z.array(z.string()).optional(),
  resumed_from: z.string().optional(),
  resume_step: z.number().int().nonnegative().optional(),
  base_lora_id: z.string().optional(),
});
export type TrainingJobInput = z.infer<typeof trainingJobInput>;

export const generationJobInput = z.object({
  lora_id: z.string().min(1).optional(),
  count: z.number().int().min(1).default(1),
  config: z.looseObject({ prompt: z.string(), model_variant: z.string(), seed: z.number().int().nonnegative() }),
});
export type GenerationJobInput = z.infer<typeof generationJobInput>;

/** Purge: the person whose photos, and everything made from them, go. */
export const purgeJobInput = z.object({ character_id: z.string().min(1) });

/**
 * Evaluation (issue #17): a training's checkpoints × strengths × prompts. The API stores the
 * effective grid (seeds filled in, prompts with the trigger word) in `config`.
 */
export const evaluationJobInput = z.object({
  character_id: z.string().min(1),
  training_id: z.string().min(1),
  config: z.looseObject({
    checkpoints: z.union([z.literal('all'), z.array(z.number().int().nonnegative())]),
    strengths: z.array(z.number()).min(1),
    prompts: z.array(z.string().min(1)).min(1),
    seeds: z.array(z.number().int().nonnegative()).min(1),
    model_variant: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    steps: z.number().int().positive(),
  }),
});
export type EvaluationJobInput = z.infer<typeof evaluationJobInput>;

/** Caption: whose images, which of them (`mode`), how long (`style`), and whether the trigger word goes first. */
export const captionJobInput = z.object({
  character_id: z.string().min(1),
  config: z.object({ mode: z.enum(CAPTION_MODES), style: z.enum(CAPTION_STYLES), trigger: z.enum(CAPTION_TRIGGERS) }),
});
export type CaptionJobInput = z.infer<typeof captionJobInput>;

export const jobInputSchemas = {
  training: trainingJobInput,
  generation: generationJobInput,
  purge: purgeJobInput,
  evaluation: evaluationJobInput,
  caption: captionJobInput,
} as const satisfies Record<JobType, z.ZodType>;

export type JobInput<T extends JobType> = z.infer<(typeof jobInputSchemas)[T]>;
