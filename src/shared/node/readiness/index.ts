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

/**
 * What only the GPU side can answer: the GPUs, ComfyUI as the worker reaches it, the trainer's
 * python, the models on its disk. Workers run these and report them (worker-reports.ts).
 */
export async function runGpuSideChecks(config: Config, deps: ReadinessDeps): Promise<ReadinessItem[]> {
  const comfy = config.IMAGE_BACKEND === 'comfyui';
  const toolkit = config.TRAINING_BACKEND === 'ai-toolkit';
  const florence = config.CAPTION_BACKEND === 'florence2';
  const [gpus, comfyItems, toolkitItem] = await Promise.all([
    checkGpus(comfy || toolkit || florence, deps.env),
    comfy ? checkComfyui(config, deps.httpTimeoutMs ?? 3000) : Promise.resolve([notUsed('comfyui', `the image backend is ${config.IMAGE_BACKEND}, not ComfyUI`)]),
    toolkit ? checkToolkit(config, deps.env) : Promise.resolve(notUsed('ai-toolkit', `the training backend is ${config.TRAINING_BACKEND}, not ai-toolkit`)),
  ]);
  const training = toolkit
    ? [checkHfToken(config), checkFluxModel(config)]
    : [notUsed('hf-token', 'no Hugging Face download with the mock trainer'), notUsed('flux-model', 'the mock trainer needs no base model')];
  const caption = florence ? checkCaptionModel(config) : notUsed(CAPTION_MODEL_ID, `the caption backend is ${config.CAPTION_BACKEND}, not Florence-2`);
  return [gpus, ...comfyItems, toolkitItem, ...training, caption];
}

/** What any host sharing the volume and Redis can answer. */
export async function runHostChecks(config: Config, deps: ReadinessDeps): Promise<ReadinessItem[]> {
  const production = config.ISENGARD_MODE === 'production';
  return [checkVolume(config.VOLUME_ROOT, production), await checkRedisPersistence(deps.redis, config.REDIS_URL, production)];
}

/** Every check, run here (the pod-setup tool and `./start.sh doctor` run on the GPU host itself). */
export async function runReadinessChecks(config: Config, deps: ReadinessDeps): Promise<Readiness> {
  const [gpuSide, host] = await Promise.all([runGpuSideChecks(config, deps), runHostChecks(config, deps)]);
  return { items: [...gpuSide, ...host] };
}
