/**
 * What the worker checks before it calls the ai-toolkit backend ready (the readiness doctor runs
 * the same checks): the python imports what run.py imports, and a gated hub model has a token.
 */
import { fluxModelSource } from '../../../../shared/node/hf-model.js';

export { checkToolkitPython, type ToolkitCheck } from '../../../../shared/node/toolkit-python.js';

/** A hub-id FLUX_MODEL that is not cached yet needs HF_TOKEN (FLUX.1-dev is gated); null when fine. */
export function hubTokenWarning(model: string, hfToken: string | undefined, env: { HF_HOME?: string; HF_HUB_CACHE?: string } = process.env): string | null {
  if (hfToken) return null;
  const source = fluxModelSource(model, env);
  if (source.kind !== 'hub' || source.cached) return null;
  return `FLUX_MODEL=${model} is a Hugging Face hub id, it is not in the cache (${source.cacheDir}) and HF_TOKEN is not set: ai-toolkit cannot download a gated model, so training jobs will fail. Accept the licence on https://huggingface.co/${model} and set HF_TOKEN (and HF_HOME on the volume), or point FLUX_MODEL at a local copy`;
}
