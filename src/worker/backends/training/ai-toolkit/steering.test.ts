/**
 * What users steer against the fake run.py: sample prompts (one sample per prompt per sample
 * step, fixed walking seed), resume from a checkpoint (ai-toolkit's own newest-save rule), start
 * from finished weights (pretrained_lora_path) and "keep last N checkpoints".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { TrainingInput } from '../../types.js';
import { createAiToolkitBackend } from './index.js';
import { effectiveConfig, fakeToolkitConfig, makeDataset, makeJob, removeTmpDirs, tmpDir } from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';

const TRIGGER = 'zxq_person';
const pad = (n: number) => String(n).padStart(9, '0');

async function setup(overrides: Record<string, unknown>, extra: Partial<TrainingInput> = {}, jobId = 'training-0123456789ab', root = tmpDir()) {
  const workDir = path.join(root, 'training', jobId);
  const datasetDir = await makeDataset(path.join(workDir, 'dataset'), TRIGGER);
  const backend = createAiToolkitBackend(fakeToolkitConfig(root), { pollMs: 30, killGraceMs: 400, env: { FAKE_AI_TOOLKIT_STEP_MS: '3' } });
  const job = makeJob(root, jobId);
  const input: TrainingInput = {
    config: effectiveConfig({ steps: 100, resolution: 512, ...overrides }),
    character: { id: 'char-0123456789ab', name: 'Zed', trigger_word: TRIGGER },
    datasetDir,
    workDir,
    ...extra,
  };
  return { backend, job, input, workDir, root };
}

afterAll(removeTmpDirs);

describe('ai-toolkit backend: what users steer', () => {
  it('samples every prompt at every sample_every step, seeds fixed in the YAML', async () => {
    const prompts = [`${TRIGGER} on a boat`, `a painting of ${TRIGGER}`, `${TRIGGER} laughing`];
    const { backend, job, input, workDir } = await setup({ sample_every: 40 }, { samplePrompts: prompts });
    await backend.train(input, job.ctx);
    const samples = job.outputs.filter((o) => o.kind === 'sample').map((o) => o.name).sort();
    expect(samples).toEqual([0, 40, 80, 100].flatMap((s) => [0, 1, 2].map((i) => `sample_${pad(s)}_${i}.jpg`)));
    const doc = parseYaml(fs.readFileSync(path.join(workDir, 'config.yaml'), 'utf8')) as { config: { process: { sample: Record<string, unknown> }[] } };
    expect(doc.config.process[0]!.sample).toMatchObject({ prompts, sample_every: 40, seed: 42, walk_seed: true });
  });

  it('no prompts: sampling disabled, no samples at all', async () => {
    const { backend, job, input } = await setup({}, { samplePrompts: [] });
    await backend.train(input, job.ctx);
    expect(job.outputs.filter((o) => o.kind === 'sample')).toEqual([]);
  });

  it('keeps only the last keep_checkpoints checkpoint outputs', async () => {
    const { backend, job, input } = await setup({ steps: 200, keep_checkpoints: 2 }, { samplePrompts: [] });
    await backend.train(input, job.ctx);
    const kept = job.outputs.filter((o) => o.kind === 'checkpoint' && !job.removed.includes(o.name)).map((o) => o.step);
    expect(kept).toEqual([100, 150]);
    expect(job.removed).toEqual([`checkpoint_${pad(50)}.safetensors`]);
    expect(fs.readdirSync(job.ctx.outputsDir).filter((f) => f.startsWith('checkpoint_')).sort()).toEqual([100, 150].map((s) => `checkpoint_${pad(s)}.safetensors`));
  });

  it('resumes from a checkpoint: the first progress is its step, no baseline samples, ETA from there', async () => {
    const first = await setup({ steps: 200 }, { samplePrompts: [`${TRIGGER} smiling`] }, 'training-aaaaaaaaaaaa');
    await first.backend.train(first.input, first.job.ctx);
    const checkpoint = path.join(first.job.ctx.outputsDir, `checkpoint_${pad(100)}.safetensors`);

    const { backend, job, input, workDir } = await setup({ steps: 200 }, { samplePrompts: [`${TRIGGER} smiling`], resumeFrom: { path: checkpoint, step: 100 } }, 'training-bbbbbbbbbbbb', first.root);
    await backend.train(input, job.ctx);
    expect(job.progress[0]).toMatchObject({ current_step: 100, total_steps: 200, progress: 0.5 });
    expect(job.progress.every((p) => p.current_step! >= 100)).toBe(true);
    expect(job.progress.at(-1)).toMatchObject({ current_step: 200, progress: 1 });
    // tqdm's rate counts only this run's steps, so the ETA is about (200 - step) / rate.
    const mid = job.progress.find((p) => p.current_step === 150 && p.it_per_sec !== undefined && p.eta_seconds !== undefined);
    if (mid) expect(mid.eta_seconds!).toBeLessThanOrEqual(Math.ceil(50 / mid.it_per_sec!) + 1);
    const steps = job.outputs.filter((o) => o.kind === 'sample').map((o) => o.step);
    expect(steps).not.toContain(0);
    expect(job.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step)).toEqual([100, 150]);
    const out = job.readLog().map((r) => r.msg);
    expect(out).toContain('Found step 100 in metadata, starting from there');
    expect(fs.existsSync(path.join(workDir, TRIGGER, `${TRIGGER}.safetensors`))).toBe(true);
  });

  it('starts from finished weights with pretrained_lora_path and trains exactly `steps` more', async () => {
    const first = await setup({ steps: 100 }, { samplePrompts: [] }, 'training-cccccccccccc');
    const done = await first.backend.train(first.input, first.job.ctx);
    const { backend, job, input, workDir } = await setup({ steps: 120 }, { samplePrompts: [], initialWeights: done.loraPath }, 'training-dddddddddddd', first.root);
    const result = await backend.train(input, job.ctx);
    expect(result.steps).toBe(120);
    expect(job.progress[0]?.current_step).toBe(0);
    expect(job.progress.at(-1)).toMatchObject({ current_step: 120, total_steps: 120 });
    const doc = parseYaml(fs.readFileSync(path.join(workDir, 'config.yaml'), 'utf8')) as { config: { process: { network: Record<string, unknown> }[] } };
    expect(doc.config.process[0]!.network.pretrained_lora_path).toBe(done.loraPath);
    // The job log shows volume paths relative to VOLUME_ROOT.
    expect(job.readLog().map((r) => r.msg)).toContainEqual(expect.stringMatching(/^Using pretrained lora path from config: .*training-cccccccccccc\/zxq_person\/zxq_person\.safetensors$/));
  });
});
