/**
 * The readiness doctor: every check a GPU pod needs, in one list. Checks that do not apply to the
 * configured backends (mock training or images, as in fast-test) are `ok` and say why, so a
 * fast-test studio shows no alarm.
 */
import type { Redis } from 'ioredis';
import type { Readiness, ReadinessItem } from '../../readiness.js';
import type { Config } from '../config.js';
import { CAPTION_MODEL_ID, checkCaptionModel } from './caption.js';
import { checkComfyui } from './comfyui.js';
import { checkGpus } from './gpus.js';
import { checkRedisPersistence, checkVolume } from './storage.js';
import { checkFluxModel, checkHfToken, checkToolkit } from './training.js';

export interface ReadinessDeps {
  /** null when Redis does not answer. */
  redis: Redis | null;
  /** Environment for nvidia-smi and the python check (PATH). */
  env?: NodeJS.ProcessEnv;
  httpTimeoutMs?: number;
}

const notUsed = (id: string, what: string): ReadinessItem => ({ id, status: 'ok', message: `not checked: ${what}` });

export async function runReadinessChecks(config: Config, deps: ReadinessDeps): Promise<Readiness> {
  const production = config.ISENGARD_MODE === 'production';
  const comfy = config.IMAGE_BACKEND === 'comfyui';
  const toolkit = config.TRAINING_BACKEND === 'ai-toolkit';
  const florence = config.CAPTION_BACKEND === 'florence2';
  const [gpus, comfyItems, toolkitItem, redisItem] = await Promise.all([
    checkGpus(comfy || toolkit || florence, deps.env),
    comfy ? checkComfyui(config, deps.httpTimeoutMs ?? 3000) : Promise.resolve([notUsed('comfyui', `the image backend is ${config.IMAGE_BACKEND}, not ComfyUI`)]),
    toolkit ? checkToolkit(config, deps.env) : Promise.resolve(notUsed('ai-toolkit', `the training backend is ${config.TRAINING_BACKEND}, not ai-toolkit`)),
    checkRedisPersistence(deps.redis, config.REDIS_URL, production),
  ]);
  const training = toolkit
    ? [checkHfToken(config), checkFluxModel(config)]
    : [notUsed('hf-token', 'no Hugging Face download with the mock trainer'), notUsed('flux-model', 'the mock trainer needs no base model')];
  const caption = florence ? checkCaptionModel(config) : notUsed(CAPTION_MODEL_ID, `the caption backend is ${config.CAPTION_BACKEND}, not Florence-2`);
  return { items: [gpus, ...comfyItems, toolkitItem, ...training, caption, checkVolume(config.VOLUME_ROOT, production), redisItem] };
}
