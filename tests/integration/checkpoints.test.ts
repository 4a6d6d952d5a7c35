/**
 * Checkpoints are usable, through API → worker → the fake ai-toolkit run.py: "keep last N"
 * rotates them, each can become a LoRA and be generated with at once, and they download and delete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import type { Lora } from '../../src/shared/characters.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { fakeAiToolkitStackEnv } from '../fakes/fake-ai-toolkit/harness.js';
import { characterWithImages } from '../helpers/fixtures.js';

let stack: Stack;
let characterId: string;
type TrpcError = { message: string };
const pad = (n: number) => String(n).padStart(9, '0');

beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    env: fakeAiToolkitStackEnv(3),
  });
  characterId = await characterWithImages(stack, 2, 'cora_person');
}, 60_000);
afterAll(async () => stack?.stop());

describe('checkpoints', () => {
  it('keeps the last N, becomes a LoRA to generate with, downloads and deletes', async () => {
    const { body: job } = await stack.call<JobRecord>('training.start', {
      character_id: characterId,
      config: { steps: 400, keep_checkpoints: 2 },
      sample_prompts: [],
    });
    const done = await stack.waitFor(job.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    expect(done.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step)).toEqual([200, 300]);
    expect(fs.existsSync(path.join(stack.volume, 'outputs', job.id, `checkpoint_${pad(100)}.safetensors`))).toBe(false);

    const download = await fetch(`${stack.url}/api/jobs/${job.id}/files/checkpoint_${pad(200)}.safetensors`);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(Number(bytes.readBigUInt64LE(0))).toBeGreaterThan(0);

    const { status, body: lora } = await stack.call<Lora>('loras.fromCheckpoint', { job_id: job.id, step: 200 });
    expect(status).toBe(200);
    expect(lora).toMatchObject({ job_id: job.id, steps: 200, character_id: characterId, trigger_word: 'cora_person', from_checkpoint: { job_id: job.id, step: 200 } });
    expect(lora.id).toMatch(/^lora-[0-9a-f]{12}$/);
    expect((await stack.call<Lora>('loras.fromCheckpoint', { job_id: job.id, step: 200 })).body.id).toBe(lora.id);
    const { body: gen } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'cora_person in a garden', width: 512, height: 512, steps: 1 }, lora_id: lora.id });
    expect((await stack.waitFor(gen.id)).status).toBe('completed');

    const none = await stack.call<TrpcError>('loras.fromCheckpoint', { job_id: job.id, step: 100 });
    expect([none.status, none.body.message]).toEqual([404, `Job '${job.id}' has no checkpoint at step 100 (it has: 200, 300)`]);
    const badStep = await stack.call<TrpcError>('loras.fromCheckpoint', { job_id: job.id, step: 'x' });
    expect([badStep.status, badStep.body.message]).toEqual([400, "Parameter 'step' must be an integer"]);

    const { status: delStatus, body: after } = await stack.call<JobRecord>('training.deleteCheckpoint', { job_id: job.id, step: 200 });
    expect(delStatus).toBe(200);
    expect(after.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step)).toEqual([300]);
    expect(after.status).toBe('completed');
    expect(fs.existsSync(path.join(stack.volume, 'outputs', job.id, `checkpoint_${pad(200)}.safetensors`))).toBe(false);
    // The LoRA made from it keeps its data (its own hard link).
    expect(fs.statSync(path.join(stack.volume, 'loras', `${lora.id}.safetensors`)).size).toBe(bytes.length);
    const gone = await stack.call<TrpcError>('training.deleteCheckpoint', { job_id: job.id, step: 200 });
    expect(gone.status).toBe(404);
  }, 90_000);

  it('refuses to delete a checkpoint while the job runs', async () => {
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 5000 }, sample_prompts: [] });
    await stack.waitFor(job.id, (r) => r.status === 'running', 30_000);
    const res = await stack.call<TrpcError>('training.deleteCheckpoint', { job_id: job.id, step: 1250 });
    expect([res.status, res.body.message]).toEqual([409, `Job '${job.id}' is still running; delete checkpoints once it has finished`]);
    await stack.call('training.cancel', { id: job.id });
    await stack.waitFor(job.id);
  }, 30_000);
});
