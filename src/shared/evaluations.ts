/**
 * Evaluation grids (issue #17): a training's checkpoints × LoRA strengths × prompts, one image per
 * cell, so a user can pick the checkpoint and strength that look most like the person. Plain data:
 * the zod input schema lives with the router inputs; this is the wire shape the SPA and CLI read.
 */

/** Strengths used when the request names none. */
export const DEFAULT_EVALUATION_STRENGTHS: readonly number[] = [0.6, 0.8, 1.0, 1.2];
export const EVALUATION_MAX_PROMPTS = 4;

/** One cell: the image for (checkpoint step, strength, prompt). `image` is null until rendered. */
export interface EvaluationCell {
  strength: number;
  prompt_index: number;
  seed: number;
  /** Output file name inside the evaluation job's outputs (GET /api/files/{job_id}/{image}); null while pending. */
  image: string | null;
  /** Set when this cell's render failed; the rest of the grid goes on. */
  error?: string;
}

/** One checkpoint row. `lora_id` is the LoRA registered from that checkpoint (or the final LoRA). */
export interface EvaluationRow {
  step: number;
  /** True for the training's final LoRA row. */
  final: boolean;
  lora_id: string | null;
  cells: EvaluationCell[];
}

export interface EvaluationGrid {
  id: string;
  training_id: string;
  character_id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  strengths: number[];
  prompts: string[];
  /** One seed per prompt, the same across every cell of that prompt. */
  seeds: number[];
  /** Live mode: rows keep arriving while the training runs. */
  live: boolean;
  /** Every cell's image size and sampler steps (flux-dev); null on a record that does not say. */
  width: number | null;
  height: number | null;
  steps: number | null;
  rows: EvaluationRow[];
}
