/** The job record's zod schema (docs/contracts.md): the store parses what it reads from Redis with it. */
import { z } from 'zod';
import { JOB_STATUSES, JOB_TYPES, OUTPUT_KINDS } from './jobs.js';

export const jobOutputSchema = z.object({
  name: z.string(),
  kind: z.enum(OUTPUT_KINDS),
  width: z.number().optional(),
  height: z.number().optional(),
  step: z.number().optional(),
  seed: z.number().optional(),
});
export type JobOutput = z.infer<typeof jobOutputSchema>;

export const jobRecordSchema = z.object({
  id: z.string(),
  type: z.enum(JOB_TYPES),
  status: z.enum(JOB_STATUSES),
  correlation_id: z.string(),
  config: z.record(z.string(), z.unknown()),
  character_id: z.string().optional(),
  lora_id: z.string().optional(),
  /** Generation: how many images. */
  count: z.number().optional(),
  created_at: z.string(),
  started_at: z.string().optional(),
  finished_at: z.string().optional(),
  progress: z.number(),
  current_step: z.number().optional(),
  total_steps: z.number().optional(),
  loss: z.number().optional(),
  /** Training rate as the trainer reports it, iterations per second. */
  it_per_sec: z.number().optional(),
  eta_seconds: z.number().optional(),
  message: z.string().optional(),
  error: z.string().optional(),
  outputs: z.array(jobOutputSchema),
  attempts: z.number(),
  /** Incremented on every stored change, so watchers can drop stale pub/sub messages. */
  rev: z.number(),
  /** Set when someone asked to cancel: who (correlation id) and when. */
  cancel_requested_at: z.string().optional(),
  cancelled_by: z.string().optional(),
  /** Training: the LoRA registered on completion. */
  result_lora_id: z.string().optional(),
  /** Training: prompts sampled at every `sample_every` steps (trigger word included); index = sample index. */
  sample_prompts: z.array(z.string()).optional(),
  /** training.resume: the job this one resumes, the checkpoint step it starts from; on the original, who resumed it. */
  resumed_from: z.string().optional(),
  resume_step: z.number().optional(),
  resumed_by: z.string().optional(),
  /** training.continue: the completed job (and its LoRA) this one trains further; on the original, who did. */
  continued_from: z.string().optional(),
  base_lora_id: z.string().optional(),
  continued_by: z.string().optional(),
  /** Evaluation: the training whose checkpoints it compares. */
  training_id: z.string().optional(),
  /** Evaluation: the grid's rows so far (checkpoint step, final LoRA row, LoRA made from the row). */
  evaluation_rows: z.array(z.object({ step: z.number(), final: z.boolean(), lora_id: z.string().nullable() })).optional(),
  /** Set when a character purge scrubbed this record (config, prompts and outputs removed). */
  purged_at: z.string().optional(),
  worker: z.string().optional(),
  /** Set on records read back from the archive on the volume (pruned out of Redis). */
  archived: z.boolean().optional(),
});
export type JobRecord = z.infer<typeof jobRecordSchema>;

