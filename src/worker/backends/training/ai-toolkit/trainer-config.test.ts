import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { aiToolkitTraining } from '../../../../shared/manifests.js';
import type { ParameterSchema } from '../../../../shared/capabilities.js';
import { NonRetryableError } from '../../types.js';
import {
  WIRED_PARAM_PATHS,
  buildTrainerConfig,
  getPath,
  renderTrainerYaml,
  saveInterval,
  summarizeTrainerConfig,
  trainerJobName,
} from './trainer-config.js';
import { FAKE_AI_TOOLKIT_DIR, effectiveConfig } from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';

const base = {
  character: { trigger_word: 'zxq_person' },
  datasetDir: '/vol/training/training-0123456789ab/dataset',
  workDir: '/vol/training/training-0123456789ab',
  fluxModel: '/models/FLUX.1-dev',
};
const build = (overrides: Record<string, unknown> = {}) => buildTrainerConfig({ ...base, config: effectiveConfig(overrides) });
const proc = (overrides: Record<string, unknown> = {}) => getPath(build(overrides).doc, 'config.process.0') as Record<string, unknown>;
const params = aiToolkitTraining.parameters as Readonly<Record<string, ParameterSchema>>;
// Every wired parameter × every option (min/max for numbers, both values for bools).
const allCases: [string, unknown][] = [];
for (const [key, schema] of Object.entries(params)) {
  if (!schema.wired) continue;
  const values = schema.type === 'enum' ? [...schema.options!] : schema.type === 'bool' ? [true, false] : [schema.min!, schema.max!];
  for (const v of values) allCases.push([key, v]);
}
const isUnavailable = ([key, value]: [string, unknown]) => Object.hasOwn(params[key]!.unavailable_options ?? {}, String(value));
const cases = allCases.filter((c) => !isUnavailable(c));
const unavailableCases = allCases.filter(isUnavailable);

describe('buildTrainerConfig', () => {
  it('writes the documented config with ai-toolkit key names', () => {
    const cfg = build({ steps: 1000 });
    expect(cfg.name).toBe('zxq_person');
    expect(cfg.doc).toMatchObject({ job: 'extension', config: { name: 'zxq_person' }, meta: { name: '[name]', version: '1.0' } });
    const p = proc({ steps: 1000 });
    expect(p).toMatchObject({
      type: 'sd_trainer',
      training_folder: base.workDir,
      trigger_word: 'zxq_person',
      network: { type: 'lora', linear: 16, linear_alpha: 16 },
      save: { dtype: 'float16', save_every: 250, max_step_saves_to_keep: 4 },
      datasets: [{ folder_path: base.datasetDir, caption_ext: 'txt', caption_dropout_rate: 0.05, resolution: [512] }],
      train: {
        batch_size: 1,
        steps: 1000,
        gradient_accumulation_steps: 1,
        train_unet: true,
        train_text_encoder: false,
        gradient_checkpointing: true,
        noise_scheduler: 'flowmatch',
        optimizer: 'adamw8bit',
        lr: 0.0001,
        lr_scheduler: 'cosine',
        dtype: 'bf16',
      },
      model: { name_or_path: '/models/FLUX.1-dev', is_flux: true, quantize: true },
      sample: { sampler: 'flowmatch', sample_every: 250, width: 512, height: 512, seed: 42, walk_seed: true, guidance_scale: 4, sample_steps: 20 },
    });
    const prompts = getPath(p, 'sample.prompts') as string[];
    expect(prompts.length).toBeGreaterThan(0);
    for (const prompt of prompts) expect(prompt).toContain('zxq_person');
  });

  it('has a destination for exactly the wired parameters of the manifest', () => {
    const wired = Object.entries(params).filter(([, s]) => s.wired).map(([k]) => k).sort();
    expect(Object.keys(WIRED_PARAM_PATHS).sort()).toEqual(wired);
  });

  it.each(cases)('%s = %s reaches its ai-toolkit key(s)', (key, value) => {
    const p = proc({ [key]: value });
    for (const dest of WIRED_PARAM_PATHS[key as keyof typeof WIRED_PARAM_PATHS]) expect(getPath(p, dest), dest).toBe(value);
  });

  it.each(unavailableCases)('%s = %s is refused with the manifest’s reason', (key, value) => {
    expect(() => build({ [key]: value })).toThrow(NonRetryableError);
    expect(() => build({ [key]: value })).toThrow(`Parameter '${key}' option '${String(value)}' not supported by ai-toolkit: ${params[key]!.unavailable_options![String(value)]}`);
  });

  it('writes what makes each control true where ai-toolkit’s defaults would not', () => {
    // linear: torch LinearLR defaults (1/3 → 1) would rise; these make it decay to 0.
    expect(getPath(proc({ scheduler: 'linear' }), 'train.lr_scheduler_params')).toEqual({ start_factor: 1, end_factor: 0 });
    expect(getPath(proc({ scheduler: 'cosine' }), 'train.lr_scheduler_params')).toBeUndefined();
    // prodigy: learning_rate does not apply; the file carries the 1.0 prodigy really runs with.
    expect(getPath(proc({ optimizer: 'prodigy' }), 'train.lr')).toBe(1);
    expect(() => build({ optimizer: 'prodigy', learning_rate: 0.0002 })).toThrow(
      "Parameter 'learning_rate' does not apply when optimizer is 'prodigy': Prodigy sets its own step size",
    );
    // EMA: on with its decay, or explicitly off (TrainConfig keeps an explicit false off).
    expect(getPath(proc({}), 'train.ema_config')).toEqual({ use_ema: true, ema_decay: 0.99 });
    expect(getPath(proc({ use_ema: false }), 'train.ema_config')).toEqual({ use_ema: false });
    expect(() => build({ use_ema: false, ema_decay: 0.95 })).toThrow("Parameter 'ema_decay' does not apply when use_ema is false");
  });

  it('maps the renamed parameters to the names ai-toolkit reads', () => {
    const p = proc({ lora_rank: 64, scheduler: 'linear', precision: 'bf16', learning_rate: 0.0002, optimizer: 'adamw', resolution: 768, batch_size: 4, steps: 2000 });
    expect(p.network).toEqual({ type: 'lora', linear: 64, linear_alpha: 64 });
    expect(getPath(p, 'train.lr_scheduler')).toBe('linear');
    expect(getPath(p, 'train.dtype')).toBe('bf16');
    expect(getPath(p, 'train.lr')).toBe(0.0002);
    expect(getPath(p, 'train.optimizer')).toBe('adamw');
    expect(getPath(p, 'datasets.0.resolution')).toEqual([768]);
    expect(getPath(p, 'train.batch_size')).toBe(4);
    expect(getPath(p, 'train.steps')).toBe(2000);
    expect(getPath(p, 'save.save_every')).toBe(500);
  });

  it('derives the save interval from steps, never below 1; sample_every is the user’s', () => {
    expect([100, 101, 1000, 2000, 10000, 2, 1].map(saveInterval)).toEqual([25, 25, 250, 500, 2500, 1, 1]);
    const cfg = build({ steps: 300, sample_every: 40 });
    expect([cfg.saveEvery, cfg.sampleEvery]).toEqual([75, 40]);
    expect(getPath(cfg.doc, 'config.process.0.sample.sample_every')).toBe(40);
  });

  it('writes the sample prompts with a fixed walking seed; none → sampling disabled', () => {
    const prompts = ['zxq_person on a boat', 'a painting of zxq_person'];
    const p = getPath(buildTrainerConfig({ ...base, config: effectiveConfig(), samplePrompts: prompts }).doc, 'config.process.0') as Record<string, unknown>;
    expect(getPath(p, 'sample')).toMatchObject({ prompts, seed: 42, walk_seed: true });
    expect(getPath(p, 'train.disable_sampling')).toBeUndefined();
    const none = getPath(buildTrainerConfig({ ...base, config: effectiveConfig(), samplePrompts: [] }).doc, 'config.process.0') as Record<string, unknown>;
    expect(getPath(none, 'sample.prompts')).toEqual([]);
    expect(getPath(none, 'train.disable_sampling')).toBe(true);
  });

  it('keep_checkpoints becomes max_step_saves_to_keep; a starting LoRA becomes network.pretrained_lora_path', () => {
    expect(getPath(proc({ keep_checkpoints: 2 }), 'save.max_step_saves_to_keep')).toBe(2);
    const cfg = buildTrainerConfig({ ...base, config: effectiveConfig(), pretrainedLoraPath: '/vol/loras/lora-0123456789ab.safetensors' });
    expect(getPath(cfg.doc, 'config.process.0.network.pretrained_lora_path')).toBe('/vol/loras/lora-0123456789ab.safetensors');
    expect(getPath(proc(), 'network.pretrained_lora_path')).toBeUndefined();
  });

  it('throws when an unwired parameter carries a chosen value', () => {
    expect(() => build({ gradient_accumulation: 2 })).toThrow(NonRetryableError);
    expect(() => build({ gradient_accumulation: 2 })).toThrow(
      "Parameter 'gradient_accumulation' not supported by ai-toolkit: Not yet implemented in AI-Toolkit adapter",
    );
    expect(() => build({ network_alpha: 32 })).toThrow("Parameter 'network_alpha' not supported by ai-toolkit: Planned for Phase 2");
  });

  it('ignores unwired parameters that only hold the default the API filled in', () => {
    const p = proc({ gradient_accumulation: 1, network_alpha: 16, lora_rank: 8 });
    expect(getPath(p, 'train.gradient_accumulation_steps')).toBe(1);
    expect(getPath(p, 'network.linear_alpha')).toBe(8);
  });

  it('throws on keys it has no mapping for and on invalid values', () => {
    expect(() => build({ text_encoder_lr: 1e-5 })).toThrow("Parameter 'text_encoder_lr' has no mapping");
    expect(() => build({ lora_rank: 5 })).toThrow("Parameter 'lora_rank' must be one of [4, 8, 16, 32, 64, 128]");
    expect(() => build({ learning_rate: '1e-4' })).toThrow("Parameter 'learning_rate' must be a number");
  });

  it('fills missing wired parameters with manifest defaults', () => {
    const cfg = buildTrainerConfig({ ...base, config: { steps: 200 } });
    expect(getPath(cfg.doc, 'config.process.0.train.optimizer')).toBe('adamw8bit');
    expect(getPath(cfg.doc, 'config.process.0.network.linear')).toBe(16);
  });

  it('names the job after the trigger word, avoiding the dataset folder', () => {
    expect(trainerJobName('bob_smith', base.datasetDir, base.workDir)).toBe('bob_smith');
    expect(trainerJobName('dataset', base.datasetDir, base.workDir)).toBe('dataset_lora');
    expect(() => trainerJobName('Bad Word', base.datasetDir, base.workDir)).toThrow(NonRetryableError);
  });

  it('summarizes the values the trainer will use', () => {
    expect(summarizeTrainerConfig(build({ lora_rank: 32 }))).toMatchObject({ name: 'zxq_person', linear: 32, linear_alpha: 32, lr: 0.0001, steps: 100 });
  });
});

describe('renderTrainerYaml', () => {
  it('is YAML that parses back to the same document', () => {
    const cfg = build({ learning_rate: 0.000001 });
    const text = renderTrainerYaml(cfg.doc);
    expect(text.startsWith('#')).toBe(true);
    expect(parseYaml(text)).toEqual(cfg.doc);
    expect(getPath(parseYaml(text), 'config.process.0.train.lr')).toBe(0.000001);
  });

  it("refuses '${' which ai-toolkit would expand as an environment variable", () => {
    const cfg = buildTrainerConfig({ ...base, datasetDir: '/vol/${HOME}/ds', config: effectiveConfig() });
    expect(() => renderTrainerYaml(cfg.doc)).toThrow(NonRetryableError);
  });

  /** Loads files the way ai-toolkit's toolkit/config.get_config does (the fake mirrors its fixed_loader). */
  const loadLikeAiToolkit = (files: string[]): unknown[] => {
    const script = 'import sys, json; from fake_config import load_config\nprint(json.dumps([load_config(f) for f in sys.argv[1:]]))';
    return JSON.parse(execFileSync('python3', ['-B', '-c', script, ...files], { cwd: FAKE_AI_TOOLKIT_DIR }).toString()) as unknown[];
  };

  it('loads back identically with ai-toolkit’s YAML 1.1 loader, YAML-1.1 booleans and exponents included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aitk-yaml-'));
    const docs = ['no', 'yes', 'on', 'off', 'null_person', 'y1'].map((trigger) => {
      const cfg = buildTrainerConfig({ ...base, character: { trigger_word: trigger }, config: effectiveConfig({ learning_rate: 0.000001, scheduler: 'linear' }) });
      // get_config replaces `[name]` (meta.name) with config.name, as the real one does.
      return JSON.parse(JSON.stringify(cfg.doc).replaceAll('[name]', cfg.name)) as Record<string, unknown>;
    });
    const files = docs.map((doc, i) => {
      const file = path.join(dir, `config_${i}.yaml`);
      fs.writeFileSync(file, renderTrainerYaml(doc));
      return file;
    });
    expect(fs.readFileSync(files[0]!, 'utf8')).toMatch(/^ {2}name: "no"$/m);
    expect(loadLikeAiToolkit(files)).toEqual(docs);
  });

  it('passes the fake trainer’s strict ai-toolkit key check for every enum value', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aitk-check-'));
    const datasetDir = path.join(dir, 'dataset');
    fs.mkdirSync(datasetDir);
    const files: string[] = [];
    for (const [key, value] of cases) {
      const cfg = buildTrainerConfig({ ...base, datasetDir, workDir: dir, config: effectiveConfig({ [key]: value }) });
      const file = path.join(dir, `c_${files.length}.yaml`);
      fs.writeFileSync(file, renderTrainerYaml(cfg.doc));
      files.push(file);
    }
    const script = 'import sys; from fake_config import load_config, validate\nfor f in sys.argv[1:]: validate(load_config(f))\nprint("ok")';
    const out = execFileSync('python3', ['-B', '-c', script, ...files], { cwd: FAKE_AI_TOOLKIT_DIR });
    expect(out.toString().trim()).toBe('ok');
  });
});
