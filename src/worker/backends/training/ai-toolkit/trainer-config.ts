/**
 * Effective training config (manifest keys) → the config file `run.py` reads (docs/contracts.md).
 *
 * Key names and values follow ostris/ai-toolkit itself: config/examples/train_lora_flux_24gb.yaml,
 * toolkit/config_modules.py (TrainConfig, NetworkConfig, SaveConfig, SampleConfig, DatasetConfig),
 * toolkit/train_tools.get_torch_dtype, toolkit/scheduler.get_lr_scheduler and
 * toolkit/optimizer.get_optimizer. Enum values pass through unchanged; where ai-toolkit's own
 * defaults would not do what the control says, the writer adds what makes it true:
 * - `linear`: ai-toolkit builds torch LinearLR with only total_iters, whose defaults
 *   (start_factor 1/3, end_factor 1) make the lr RISE; lr_scheduler_params make it decay to 0.
 * - prodigy: get_optimizer replaces an lr below 0.1 with 1.0, so learning_rate does not apply
 *   (the manifest says so) and the file carries the 1.0 prodigy really uses.
 * - EMA: `ema_config: {use_ema, ema_decay}` as TrainConfig reads it.
 */
import path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { aiToolkitTraining } from '../../../../shared/manifests.js';
import { checkParam } from '../../../../shared/param-check.js';
import { inapplicable, inapplicableMessage } from '../../../../shared/param-applies.js';
import type { ParameterSchema } from '../../../../shared/capabilities.js';
import { NonRetryableError } from '../../types.js';
import { SAMPLE_SEED, defaultSamplePrompts } from '../../../../shared/sample-prompts.js';

type ManifestKey = keyof typeof aiToolkitTraining.parameters;
type WiredKey = {
  [K in ManifestKey]: (typeof aiToolkitTraining.parameters)[K]['wired'] extends true ? K : never;
}[ManifestKey];

/**
 * Where each wired parameter lands, relative to `config.process[0]`. Typed over the manifest so a
 * newly wired parameter does not compile until it is given a destination here.
 */
export const WIRED_PARAM_PATHS: Readonly<Record<WiredKey, readonly string[]>> = {
  steps: ['train.steps'],
  learning_rate: ['train.lr'],
  lora_rank: ['network.linear', 'network.linear_alpha'],
  resolution: ['datasets.0.resolution.0', 'sample.width', 'sample.height'],
  batch_size: ['train.batch_size'],
  optimizer: ['train.optimizer'],
  scheduler: ['train.lr_scheduler'],
  precision: ['train.dtype'],
  use_ema: ['train.ema_config.use_ema'],
  ema_decay: ['train.ema_config.ema_decay'],
  sample_every: ['sample.sample_every'],
  keep_checkpoints: ['save.max_step_saves_to_keep'],
};

/** The lr prodigy runs with when given one below 0.1 (toolkit/optimizer.get_optimizer). */
export const PRODIGY_LR = 1.0;

/**
 * `train.lr_scheduler_params` per scheduler. BaseSDTrainProcess adds `total_iters = steps` to
 * them and get_lr_scheduler passes the rest to torch unchanged.
 */
export const LR_SCHEDULER_PARAMS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  // torch LinearLR defaults rise from lr/3 to lr; this decays from lr to 0 over total_iters.
  linear: { start_factor: 1.0, end_factor: 0.0 },
};

/** Checkpoints at ¼, ½, ¾ of the run. */
export const SAVES_PER_RUN = 4;
const TRIGGER_WORD_RE = /^[a-z][a-z0-9_]{1,31}$/;

export interface TrainerConfigInput {
  /** The job record's effective config (validated, defaults filled). */
  config: Record<string, unknown>;
  character: { trigger_word: string };
  datasetDir: string;
  workDir: string;
  fluxModel: string;
  /** Sample prompts, trigger word already in each; absent → two generic ones; empty → no sampling. */
  samplePrompts?: readonly string[];
  /**
   * Starting weights for a fresh run (training.continue): ai-toolkit loads
   * `network.pretrained_lora_path` when its save folder has no checkpoint, and does not take the
   * step from it, so the run trains exactly `steps` more.
   */
  pretrainedLoraPath?: string;
}

export interface TrainerConfig {
  /** ai-toolkit `config.name`: output folder, file prefix and the tqdm description. */
  name: string;
  steps: number;
  saveEvery: number;
  sampleEvery: number;
  /** The document as ai-toolkit will load it. */
  doc: Record<string, unknown>;
}

/** Every N steps so a run yields SAVES_PER_RUN − 1 intermediate checkpoints; never 0 (ai-toolkit would never save). */
export function saveInterval(steps: number): number {
  return Math.max(1, Math.round(steps / SAVES_PER_RUN));
}

/**
 * ai-toolkit writes into `training_folder/<name>/`; the dataset snapshot sits in the same folder,
 * so a trigger word equal to the dataset folder's name would make the trainer write into it.
 */
export function trainerJobName(triggerWord: string, datasetDir: string, workDir: string): string {
  if (!TRIGGER_WORD_RE.test(triggerWord)) throw new NonRetryableError(`Invalid trigger word '${triggerWord}'`);
  const clash = path.resolve(workDir, triggerWord) === path.resolve(datasetDir) || triggerWord === 'config';
  return clash ? `${triggerWord}_lora` : triggerWord;
}

/**
 * The validated wired parameters the trainer will run with. A conditional parameter that does not
 * apply (learning_rate with prodigy, ema_decay without EMA) is left out; one carrying a value other
 * than its default is refused, because the trainer would silently ignore it.
 */
function effectiveParams(config: Record<string, unknown>): Partial<Record<WiredKey, unknown>> {
  const params = aiToolkitTraining.parameters as Readonly<Record<string, ParameterSchema>>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const schema = params[key];
    if (!schema) throw new NonRetryableError(`Parameter '${key}' has no mapping in the ai-toolkit config`);
    if (!schema.wired) {
      // The API fills every manifest default into the stored config, unwired ones included; only
      // a value someone actually chose would be silently lost, and that must never train.
      if (value === schema.default) continue;
      throw new NonRetryableError(
        `Parameter '${key}' not supported by ai-toolkit: ${schema.reason ?? 'Not supported'}`,
      );
    }
    const problem = checkParam(key, value, schema, 'ai-toolkit');
    if (problem) throw new NonRetryableError(problem);
    out[key] = value;
  }
  for (const key of Object.keys(WIRED_PARAM_PATHS) as WiredKey[]) {
    if (!(key in out)) out[key] = params[key]!.default;
  }
  for (const [key, schema] of Object.entries(params)) {
    const why = key in out ? inapplicable(schema, out) : null;
    if (!why) continue;
    if (key in config && config[key] !== schema.default) throw new NonRetryableError(inapplicableMessage(key, why));
    delete out[key];
  }
  return out as Partial<Record<WiredKey, unknown>>;
}

export function buildTrainerConfig(input: TrainerConfigInput): TrainerConfig {
  const p = effectiveParams(input.config);
  const trigger = input.character.trigger_word;
  const name = trainerJobName(trigger, input.datasetDir, input.workDir);
  const steps = p.steps as number;
  const resolution = p.resolution as number;
  const rank = p.lora_rank as number;
  const every = saveInterval(steps);
  const prompts = input.samplePrompts ? [...input.samplePrompts] : defaultSamplePrompts(trigger);
  const process = {
    type: 'sd_trainer',
    training_folder: input.workDir,
    device: 'cuda:0',
    // Appended to any caption that lacks it, so the LoRA always learns the word it will be prompted with.
    trigger_word: trigger,
    network: {
      type: 'lora',
      linear: rank,
      linear_alpha: rank,
      ...(input.pretrainedLoraPath ? { pretrained_lora_path: input.pretrainedLoraPath } : {}),
    },
    save: { dtype: 'float16', save_every: every, max_step_saves_to_keep: p.keep_checkpoints, push_to_hub: false },
    datasets: [
      {
        folder_path: input.datasetDir,
        caption_ext: 'txt',
        caption_dropout_rate: 0.05,
        shuffle_tokens: false,
        cache_latents_to_disk: true,
        resolution: [resolution],
      },
    ],
    train: {
      batch_size: p.batch_size,
      steps,
      gradient_accumulation_steps: 1,
      train_unet: true,
      train_text_encoder: false,
      gradient_checkpointing: true,
      noise_scheduler: 'flowmatch',
      optimizer: p.optimizer,
      // Only prodigy leaves learning_rate out; write the lr it really runs with.
      lr: p.learning_rate ?? PRODIGY_LR,
      lr_scheduler: p.scheduler,
      ...(LR_SCHEDULER_PARAMS[p.scheduler as string] ? { lr_scheduler_params: { ...LR_SCHEDULER_PARAMS[p.scheduler as string] } } : {}),
      ema_config: p.use_ema ? { use_ema: true, ema_decay: p.ema_decay } : { use_ema: false },
      dtype: p.precision,
      // No prompts: ai-toolkit would still run its (empty) sampling pass at every sample step.
      ...(prompts.length === 0 ? { disable_sampling: true } : {}),
    },
    model: { name_or_path: input.fluxModel, is_flux: true, quantize: true },
    sample: {
      sampler: 'flowmatch',
      sample_every: p.sample_every,
      width: resolution,
      height: resolution,
      prompts,
      neg: '',
      // walk_seed: prompt i uses seed + i, at every step.
      seed: SAMPLE_SEED,
      walk_seed: true,
      guidance_scale: 4,
      sample_steps: 20,
    },
  };
  const doc = {
    job: 'extension',
    config: { name, process: [process] },
    meta: { name: '[name]', version: '1.0' },
  };
  return { name, steps, saveEvery: every, sampleEvery: p.sample_every as number, doc };
}

/**
 * The config as YAML, written by the `yaml` package. ai-toolkit loads it with PyYAML (oyaml), a
 * YAML 1.1 reader, so the document is written in YAML 1.1: strings such as `no`, `on` or `yes`
 * (valid trigger words) are quoted and stay strings instead of turning into booleans. Lines are not
 * folded, so a long sample prompt stays one line. ai-toolkit substitutes `${VAR}` in the raw text
 * before parsing; such a value is refused.
 */
export function renderTrainerYaml(doc: Record<string, unknown>): string {
  const text = stringifyYaml(doc, { version: '1.1', lineWidth: 0 });
  if (text.includes('${')) throw new NonRetryableError("Training config contains '${', which ai-toolkit would expand as an environment variable");
  return `# ai-toolkit config written by Isengard\n${text}`;
}

/** Reads a dotted path (`datasets.0.resolution.0`) out of a plain object, for logs and tests. */
export function getPath(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The values worth one log line: what the trainer will actually do. */
export function summarizeTrainerConfig(cfg: TrainerConfig): Record<string, unknown> {
  const proc = getPath(cfg.doc, 'config.process.0');
  const pick = (p: string) => getPath(proc, p);
  return {
    name: cfg.name,
    steps: pick('train.steps'),
    lr: pick('train.lr'),
    lr_scheduler: pick('train.lr_scheduler'),
    lr_scheduler_params: pick('train.lr_scheduler_params'),
    ema: pick('train.ema_config'),
    optimizer: pick('train.optimizer'),
    batch_size: pick('train.batch_size'),
    dtype: pick('train.dtype'),
    linear: pick('network.linear'),
    linear_alpha: pick('network.linear_alpha'),
    resolution: pick('datasets.0.resolution'),
    folder_path: pick('datasets.0.folder_path'),
    training_folder: pick('training_folder'),
    model: pick('model.name_or_path'),
    save_every: pick('save.save_every'),
    sample_every: pick('sample.sample_every'),
    max_step_saves_to_keep: pick('save.max_step_saves_to_keep'),
  };
}
