/**
 * Which graph a generation uses: `flux-{variant}[-lora][-upscale]` (docs/contracts.md). Unlike the seed,
 * upscale is honoured with a LoRA: the lora+upscale files exist, so the user's toggle is never
 * silently dropped.
 */
import { MODEL_VARIANTS, workflowName, type ModelVariant, type WorkflowName } from './workflow-types.js';

export interface SelectInput {
  /** `flux-dev` | `flux-schnell` as in the manifest; the bare `dev` | `schnell` is accepted too. */
  model_variant?: string;
  use_upscale?: boolean;
  hasLora: boolean;
}

export function selectWorkflow(input: SelectInput): WorkflowName {
  const raw = (input.model_variant ?? 'flux-dev').replace(/^flux-/, '');
  if (!(MODEL_VARIANTS as readonly string[]).includes(raw)) {
    throw new Error(`Unknown model_variant '${input.model_variant}' (expected flux-dev or flux-schnell)`);
  }
  return workflowName({ variant: raw as ModelVariant, lora: input.hasLora, upscale: input.use_upscale === true });
}
