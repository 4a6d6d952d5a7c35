/**
 * Every wired training parameter × every option it offers: the written config.yaml changes what
 * ai-toolkit actually runs with, read the way ai-toolkit reads it. The reading is the fake
 * trainer's model of ai-toolkit + torch (tests/fakes/fake-ai-toolkit/fake_schedule.py:
 * get_config's YAML loader, get_optimizer, get_lr_scheduler with total_iters, torch's schedulers,
 * get_torch_dtype, EMAConfig), so "scheduler: linear" is judged by the lr curve it produces, not by
 * the string in the file.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { aiToolkitTraining } from '../../../../shared/manifests.js';
import type { ParameterSchema } from '../../../../shared/capabilities.js';
import { buildTrainerConfig, renderTrainerYaml } from './trainer-config.js';
import { FAKE_AI_TOOLKIT_DIR, effectiveConfig } from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';

interface Effective {
  steps: number;
  batch_size: number;
  optimizer: string;
  optimizer_lr: number;
  scheduler: string;
  /** lr at the start, ¼, ½, ¾ and the last step. */
  lr_at: number[];
  dtype: string;
  ema: { use_ema: boolean; ema_decay?: number };
  rank: number;
  alpha: number;
  resolution: number[];
  sample_size: number[];
  sample_every: number;
  sample_seed: number;
  walk_seed: boolean;
  max_step_saves_to_keep: number;
}

const params = aiToolkitTraining.parameters as Readonly<Record<string, ParameterSchema>>;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aitk-effect-'));
const datasetDir = path.join(dir, 'dataset');
fs.mkdirSync(datasetDir);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes one config.yaml per config and reads them all back the way ai-toolkit would. */
function readLikeAiToolkit(configs: Record<string, unknown>[]): Effective[] {
  const files = configs.map((config, i) => {
    const cfg = buildTrainerConfig({ character: { trigger_word: 'zxq_person' }, datasetDir, workDir: dir, fluxModel: '/models/FLUX.1-dev', config });
    const file = path.join(dir, `effect_${i}.yaml`);
    fs.writeFileSync(file, renderTrainerYaml(cfg.doc));
    return file;
  });
  const script = [
    'import sys, json',
    'from fake_config import load_config, validate',
    'from fake_schedule import effective_training',
    'print(json.dumps([effective_training(validate(load_config(f))) for f in sys.argv[1:]]))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-B', '-c', script, ...files], { cwd: FAKE_AI_TOOLKIT_DIR }).toString()) as Effective[];
}

const LR = 0.0001;
const decreasing = (xs: number[]) => xs.every((x, i) => i === 0 || x < xs[i - 1]!);

/** What ai-toolkit must end up with when `key` is set to `value` (everything else at defaults). */
const expectations: Record<string, (e: Effective, value: never) => void> = {
  steps: (e, v: number) => {
    expect(e.steps).toBe(v);
    expect(e.lr_at.at(-1)!).toBeLessThan(LR * 0.01); // the default cosine spans exactly these steps
  },
  learning_rate: (e, v: number) => expect([e.optimizer, e.optimizer_lr]).toEqual(['adamw8bit', v]),
  lora_rank: (e, v: number) => expect([e.rank, e.alpha]).toEqual([v, v]),
  resolution: (e, v: number) => expect([e.resolution, e.sample_size]).toEqual([[v], [v, v]]),
  batch_size: (e, v: number) => expect(e.batch_size).toBe(v),
  optimizer: (e, v: string) => {
    expect(e.optimizer).toBe(v);
    // prodigy runs at 1.0 whatever learning_rate says; the manifest says learning_rate does not apply.
    expect(e.optimizer_lr).toBe(v === 'prodigy' ? 1 : LR);
  },
  scheduler: (e, v: string) => {
    const [first, , half, , last] = e.lr_at as [number, number, number, number, number];
    if (v === 'constant') {
      expect(e.scheduler).toBe('ConstantLR');
      expect(e.lr_at).toEqual(Array(5).fill(LR));
      return;
    }
    expect(e.scheduler).toBe(v === 'cosine' ? 'CosineAnnealingLR' : 'LinearLR');
    // Both start at the learning rate (torch's LinearLR default would start at lr/3 and rise)…
    expect(first).toBeCloseTo(LR, 12);
    // …and decay monotonically to ~0 by the last step.
    expect(decreasing(e.lr_at)).toBe(true);
    expect(last).toBeLessThan(LR * 0.01);
    expect(half).toBeCloseTo(LR / 2, 12); // both pass lr/2 at the midpoint
    if (v === 'linear') expect(e.lr_at[1]).toBeCloseTo(LR * 0.75, 12);
    else expect(e.lr_at[1]).toBeCloseTo((LR * (1 + Math.SQRT1_2)) / 2, 12);
  },
  precision: (e, v: string) => expect([v, e.dtype]).toEqual(['bf16', 'bfloat16']),
  use_ema: (e, v: boolean) => expect(e.ema).toEqual(v ? { use_ema: true, ema_decay: 0.99 } : { use_ema: false }),
  ema_decay: (e, v: number) => expect(e.ema).toEqual({ use_ema: true, ema_decay: v }),
  // Samples every N steps with a fixed seed that walks per prompt.
  sample_every: (e, v: number) => expect([e.sample_every, e.sample_seed, e.walk_seed]).toEqual([v, 42, true]),
  keep_checkpoints: (e, v: number) => expect(e.max_step_saves_to_keep).toBe(v),
};

const cases: [string, unknown][] = [];
for (const [key, schema] of Object.entries(params)) {
  if (!schema.wired) continue;
  const values = schema.type === 'enum' ? [...schema.options!] : schema.type === 'bool' ? [true, false] : [schema.min!, schema.max!];
  for (const v of values) if (!Object.hasOwn(schema.unavailable_options ?? {}, String(v))) cases.push([key, v]);
}

describe('every wired parameter × every offered option, as ai-toolkit reads it', () => {
  it('has an expectation for every wired parameter', () => {
    expect(Object.keys(expectations).sort()).toEqual(Object.entries(params).filter(([, p]) => p.wired).map(([k]) => k).sort());
  });

  const configs = cases.map(([key, value]) => effectiveConfig({ steps: 1000, [key]: value }));
  let effective: Effective[] = [];
  it('every config loads and validates like ai-toolkit would', () => {
    effective = readLikeAiToolkit(configs);
    expect(effective).toHaveLength(cases.length);
  });

  it.each(cases.map((c, i) => [...c, i] as const))('%s = %s', (key, value, i) => {
    expect(effective[i], 'configs were read').toBeDefined();
    expectations[key]!(effective[i]!, value as never);
  });

  it('cosine_with_restarts is refused because ai-toolkit replaces any T_0 with the run length', () => {
    // The reason it is unavailable, shown on the model of ai-toolkit itself: even a written T_0
    // never restarts, because BaseSDTrainProcess adds total_iters = steps and get_lr_scheduler
    // turns that into T_0.
    const script = 'from fake_schedule import scheduler_factor\n_, f = scheduler_factor("cosine_with_restarts", {"T_0": 250, "T_mult": 1}, 1000)\nprint([round(f(e), 6) for e in (0, 249, 250, 251, 500, 999)])';
    const lrs = JSON.parse(execFileSync('python3', ['-B', '-c', script], { cwd: FAKE_AI_TOOLKIT_DIR }).toString()) as number[];
    expect(decreasing(lrs)).toBe(true); // no jump back up at 250
  });
});
