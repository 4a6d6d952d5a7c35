/**
 * The caption model: Florence-2 downloads into the Hugging Face hub cache (HF_HOME) on the first
 * caption job. Not an error when missing (the job fetches it), but worth knowing on a pod whose
 * HF_HOME is not on the volume: every restart downloads it again.
 */
import type { ReadinessItem } from '../../readiness.js';
import { florence2Caption } from '../../manifests.js';
import type { Config } from '../config.js';
import { fluxModelSource } from '../hf-model.js';

export const CAPTION_MODEL_ID = 'caption-model';

export function checkCaptionModel(config: Config): ReadinessItem {
  const model = florence2Caption.model;
  // The same hub cache layout as FLUX_MODEL: models--microsoft--Florence-2-large/snapshots/<rev>/.
  const source = fluxModelSource(model, { ...process.env, HF_HOME: config.HF_HOME });
  if (source.kind === 'local' || source.cached) {
    return { id: CAPTION_MODEL_ID, status: 'ok', message: `${model} is cached${source.kind === 'hub' ? ` in ${source.cacheDir}` : ''}` };
  }
  const onVolume = config.HF_HOME ? '' : '; set HF_HOME to a folder on the volume so it survives a restart';
  return {
    id: CAPTION_MODEL_ID,
    status: 'warn',
    message: `${model} is not cached in ${source.cacheDir}: the first caption job downloads it (about 1.5 GB)`,
    fix: `nothing to do: the first caption job fills the cache${onVolume}`,
  };
}
