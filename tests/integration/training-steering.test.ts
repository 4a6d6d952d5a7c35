/**
 * Training users can steer, through API → Redis → worker → the fake ai-toolkit run.py:
 * sample prompts, resume after a cancel, continue a completed training, and the dataset
 * snapshot that lives exactly as long as something can resume from it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import type { Lora } from '../../src/shared/characters.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { fakeAiToolkitStackEnv } from '../fakes/fake-ai-toolkit/harness.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';

let stack: Stack;
let characterId: string;
const TRIGGER = 'ana_person';
type TrpcError = { message: string; data: { httpStatus: number } };

beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    env: fakeAiToolkitStackEnv(4),
  });
  characterId = await characterWithImages(stack, 2, TRIGGER);
}, 60_000);
afterAll(async () => stack?.stop());

const trainingDir = (id: string) => path.join(stack.volume, 'training', id);
const start = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  stack.call<JobRecord>('training.start', { character_id: characterId, config, ...extra });

describe('sample prompts', () => {
  it('writes every prompt (trigger word added when missing) into the YAML and samples each at every sample_every', async () => {
    const prompts = [`${TRIGGER} on a boat`, 'a charcoal portrait', `close-up of ${TRIGGER.toUpperCase()}`];
    const { status, body: job } = await start({ steps: 100, sample_every: 50 }, { sample_prompts: prompts });
    expect(status).toBe(200);
    expect(job.sample_prompts).toEqual([`${TRIGGER} on a boat`, `${TRIGGER}, a charcoal portrait`, `close-up of ${TRIGGER.toUpperCase()}`]);
    const done = await stack.waitFor(job.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    const samples = done.outputs.filter((o) => o.kind === 'sample').map((o) => o.name).sort();
    expect(samples).toEqual([0, 50, 100].flatMap((s) => [0, 1, 2].map((i) => `sample_${String(s).padStart(9, '0')}_${i}.jpg`)));
    const config = (await readLogLines(stack.url, job.id)).find((l) => l.event === 'trainer.config');
    expect(config?.fields).toMatchObject({ sample_every: 50 });
  }, 60_000);

  it('refuses more than 4 prompts or a non-string one, naming the parameter', async () => {
    const many = await start({ steps: 100 }, { sample_prompts: ['a', 'b', 'c', 'd', 'e'] });
    expect(many.status).toBe(400);
    expect((many.body as unknown as TrpcError).message).toBe("Parameter 'sample_prompts' must have at most 4 prompts");
    const bad = await start({ steps: 100 }, { sample_prompts: [42] });
    expect(bad.status).toBe(400);
    expect((bad.body as unknown as TrpcError).message).toBe("Parameter 'sample_prompts' must be a string");
    const every = await start({ steps: 100, sample_every: 5 });
    expect((every.body as unknown as TrpcError).message).toBe("Parameter 'sample_every' below minimum (10)");
  });
});

describe('resume', () => {
  it('after a cancel at about 40 %: starts at the checkpoint step, reaches 100 %, the loss history continues', async () => {
    const { body: job } = await start({ steps: 1000, sample_every: 500 }, { sample_prompts: [] });
    await stack.waitFor(job.id, (r) => (r.current_step ?? 0) >= 400 && r.outputs.some((o) => o.kind === 'checkpoint'), 60_000);
    await stack.call('training.cancel', { id: job.id });
    const cancelled = await stack.waitFor(job.id);
    expect(cancelled.status).toBe('cancelled');
    const lastCheckpoint = Math.max(...cancelled.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step!));
    expect(lastCheckpoint).toBeGreaterThanOrEqual(250);
    // Something can resume from it: its snapshot stays.
    expect(fs.existsSync(path.join(trainingDir(job.id), 'dataset'))).toBe(true);

    const { status, body: resumed } = await stack.call<JobRecord>('training.resume', { id: job.id });
    expect(status).toBe(200);
    expect(resumed).toMatchObject({ resumed_from: job.id, resume_step: lastCheckpoint, config: cancelled.config });
    const original = (await stack.call<JobRecord>('training.get', { id: job.id })).body;
    expect(original.resumed_by).toBe(resumed.id);
    expect(original.status).toBe('cancelled');
    // Nothing can resume from the original any more: its snapshot is gone, its checkpoints stay.
    expect(fs.readdirSync(trainingDir(job.id))).toEqual(['config.yaml']);
    expect(fs.existsSync(path.join(stack.volume, 'outputs', job.id))).toBe(true);

    const done = await stack.waitFor(resumed.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    expect(done).toMatchObject({ progress: 1, current_step: 1000, total_steps: 1000 });
    const log = await readLogLines(stack.url, resumed.id);
    expect(log.map((l) => l.msg)).toContain(`Found step ${lastCheckpoint} in metadata, starting from there`);
    const history = log.filter((l) => l.event === 'job.history');
    expect(history.length).toBeGreaterThan(0);
    expect(history.every((l) => l.fields.step <= lastCheckpoint && typeof l.fields.loss === 'number')).toBe(true);
    const firstProgress = log.find((l) => l.event === 'job.progress');
    expect(firstProgress?.fields?.current_step).toBeGreaterThanOrEqual(lastCheckpoint);
    // Completed: nothing can resume from it, so its snapshot goes (the config stays for debugging).
    await expect.poll(() => fs.readdirSync(trainingDir(resumed.id)), { timeout: 10_000 }).toEqual(['config.yaml']);

    const again = await stack.call<TrpcError>('training.resume', { id: job.id });
    expect([again.status, again.body.message]).toEqual([409, `Job '${job.id}' was already resumed by ${resumed.id}`]);
    const completed = await stack.call<TrpcError>('training.resume', { id: resumed.id });
    expect([completed.status, completed.body.message]).toEqual([409, `Job '${resumed.id}' completed; nothing to resume (use Continue to train more steps)`]);
  }, 120_000);

  it('answers 409 with a sentence for a running job and for one without a checkpoint', async () => {
    const { body: job } = await start({ steps: 5000 }, { sample_prompts: [] });
    await stack.waitFor(job.id, (r) => r.status === 'running', 30_000);
    const running = await stack.call<TrpcError>('training.resume', { id: job.id });
    expect([running.status, running.body.message]).toEqual([409, `Job '${job.id}' is still running; cancel it first or wait for it to finish`]);
    await stack.waitFor(job.id, (r) => (r.current_step ?? 0) >= 5, 30_000);
    await stack.call('training.cancel', { id: job.id });
    const cancelled = await stack.waitFor(job.id);
    expect(cancelled.outputs.filter((o) => o.kind === 'checkpoint')).toEqual([]);
    const none = await stack.call<TrpcError>('training.resume', { id: job.id });
    expect([none.status, none.body.message]).toEqual([409, `Job '${job.id}' has no checkpoint yet; nothing to resume from`]);
    // Nothing to resume from: the snapshot goes once the worker has recorded the cancel.
    await expect.poll(() => fs.existsSync(path.join(trainingDir(job.id), 'dataset')), { timeout: 10_000 }).toBe(false);
    const missing = await stack.call<TrpcError>('training.resume', { id: 'training-000000000000' });
    expect(missing.status).toBe(404);
  }, 60_000);
});

describe('continue', () => {
  it('trains exactly N more steps from the final weights; the new LoRA links to the first', async () => {
    const { body: job } = await start({ steps: 100 }, { sample_prompts: [] });
    const done = await stack.waitFor(job.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    const { status, body: next } = await stack.call<JobRecord>('training.continue', { id: job.id, steps: 150 });
    expect(status).toBe(200);
    expect(next).toMatchObject({ continued_from: job.id, base_lora_id: done.result_lora_id });
    expect(next.config.steps).toBe(150);
    const finished = await stack.waitFor(next.id, undefined, 60_000);
    expect(finished.status, finished.error).toBe('completed');
    expect(finished).toMatchObject({ current_step: 150, total_steps: 150 });
    const log = await readLogLines(stack.url, next.id);
    // From step 0 of its own run: the first milestone (10 %) is step 15 of 150, not a resumed step.
    expect(log.find((l) => l.event === 'job.progress')?.fields).toMatchObject({ current_step: 15, total_steps: 150 });
    expect(log.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^Using pretrained lora path from config: .*loras\/lora-[0-9a-f]{12}\.safetensors$/));
    const lora = (await stack.call<Lora>('loras.get', { id: finished.result_lora_id })).body;
    expect(lora).toMatchObject({ parent_lora_id: done.result_lora_id, steps: 150, job_id: next.id });
    expect((await stack.call<JobRecord>('training.get', { id: job.id })).body.continued_by).toBe(next.id);

    const twice = await stack.call<TrpcError>('training.continue', { id: job.id, steps: 150 });
    expect([twice.status, twice.body.message]).toEqual([409, `Job '${job.id}' was already continued by ${next.id}`]);
    const few = await stack.call<TrpcError>('training.continue', { id: next.id, steps: 5 });
    expect([few.status, few.body.message]).toEqual([400, "Parameter 'steps' below minimum (100)"]);
  }, 120_000);
});

describe('dataset snapshots', () => {
  it('hard-links the images instead of copying them', async () => {
    const { body: job } = await start({ steps: 5000 }, { sample_prompts: [] });
    const character = (await stack.call<{ images: { name: string }[] }>('characters.get', { id: characterId })).body;
    for (const image of character.images) {
      const original = fs.statSync(path.join(stack.volume, 'characters', characterId, 'images', image.name));
      const snap = fs.statSync(path.join(trainingDir(job.id), 'dataset', image.name));
      expect(snap.ino).toBe(original.ino);
    }
    await stack.call('training.cancel', { id: job.id });
    await stack.waitFor(job.id);
  }, 30_000);
});
