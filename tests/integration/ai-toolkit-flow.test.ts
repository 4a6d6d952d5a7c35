/**
 * The full training flow through real processes with the real ai-toolkit backend code:
 * API → Redis → worker → `python3 run.py config.yaml` (the fake trainer) → LoRA → generation
 * with that LoRA on the mock image backend. Cancel leaves no trainer process alive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { fakeAiToolkitStackEnv } from '../fakes/fake-ai-toolkit/harness.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';

let stack: Stack;
let characterId: string;

beforeAll(async () => {
  stack = await startStack({
    workers: 1,
    env: fakeAiToolkitStackEnv(5),
  });
  characterId = await characterWithImages(stack, 2, 'ana_person');
});
afterAll(async () => stack?.stop());

/** True while a process with this pid exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

function trainerPids(jobId: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`training/${jobId}/config.yaml`);
      } catch {
        return false;
      }
    })
    .map(Number)
    .filter(alive);
}

describe('ai-toolkit backend through the real worker', () => {
  it('every wired control reaches config.yaml, progress is parsed, the LoRA is registered and usable', async () => {
    const config = { steps: 200, learning_rate: 0.0002, lora_rank: 32, resolution: 768, batch_size: 2, optimizer: 'adamw', scheduler: 'linear', precision: 'bf16', ema_decay: 0.95 };
    const { status, body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config });
    expect(status).toBe(200);
    const done = await stack.waitFor(job.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    expect(done.current_step).toBe(200);
    expect(done.total_steps).toBe(200);
    expect(typeof done.loss).toBe('number');
    expect(done.outputs.some((o) => o.kind === 'checkpoint' && o.step === 50)).toBe(true);
    expect(done.outputs.some((o) => o.kind === 'sample')).toBe(true);

    const yaml = fs.readFileSync(path.join(stack.volume, 'training', job.id, 'config.yaml'), 'utf8');
    const parsed = parseYaml(yaml) as { config: { process: Record<string, any>[] } };
    const proc = parsed.config.process[0]!;
    expect(proc.network).toMatchObject({ type: 'lora', linear: 32, linear_alpha: 32 });
    expect(proc.train).toMatchObject({ steps: 200, lr: 0.0002, batch_size: 2, optimizer: 'adamw', lr_scheduler: 'linear', dtype: 'bf16' });
    expect(proc.train.lr_scheduler_params).toEqual({ start_factor: 1, end_factor: 0 });
    expect(proc.train.ema_config).toEqual({ use_ema: true, ema_decay: 0.95 });
    expect(proc.datasets[0]).toMatchObject({ caption_ext: 'txt', resolution: [768] });
    expect(proc.datasets[0].folder_path).toBe(path.join(stack.volume, 'training', job.id, 'dataset'));

    const loraId = done.result_lora_id!;
    expect(loraId).toMatch(/^lora-[0-9a-f]{12}$/);
    const events = (await readLogLines(stack.url, job.id)).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['trainer.config', 'trainer.output', 'trainer.checkpoint', 'trainer.sample', 'lora.registered', 'job.complete']));

    const { body: gen } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'ana_person at the beach', width: 512, height: 512, steps: 1 }, lora_id: loraId });
    expect((await stack.waitFor(gen.id)).status).toBe('completed');
    const del = await stack.call<{ deleted: boolean }>('loras.delete', { id: loraId });
    expect(del.body.deleted).toBe(true);
  });

  it('a trainer crash fails the job with its stderr tail', async () => {
    const worker = stack.workers[0]!;
    worker.child.kill('SIGKILL');
    await worker.exited;
    await stack.spawnWorker({ FAKE_AI_TOOLKIT_FAIL_AT_STEP: '20' });
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 100 } });
    const done = await stack.waitFor(job.id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/OutOfMemoryError|Traceback/);
    await expect.poll(async () => (await readLogLines(stack.url, job.id)).at(-1)?.event).toBe('job.failed');
    expect((await readLogLines(stack.url, job.id)).at(-1)).toMatchObject({ event: 'job.failed', level: 'ERROR' });
  });

  it('the gated FLUX.1-dev hub id without HF_TOKEN fails the job with the hub’s reason in record and log', async () => {
    for (const w of stack.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(stack.workers.map((w) => w.exited));
    await stack.spawnWorker({ FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: '' });
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 100 } });
    const done = await stack.waitFor(job.id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('Access to model black-forest-labs/FLUX.1-dev is restricted');
    // The record can turn failed a moment before the worker's job.failed line is appended.
    await expect.poll(async () => (await readLogLines(stack.url, job.id)).at(-1)?.event).toBe('job.failed');
    const failed = (await readLogLines(stack.url, job.id)).at(-1);
    expect(failed).toMatchObject({ event: 'job.failed', level: 'ERROR' });
    expect(JSON.stringify(failed)).toContain('not a valid model identifier');
  });

  it('cancel mid-training leaves no trainer process alive', async () => {
    for (const w of stack.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await Promise.all(stack.workers.map((w) => w.exited));
    await stack.spawnWorker();
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 5000 } });
    await stack.waitFor(job.id, (r) => (r.current_step ?? 0) > 5, 30_000);
    const pids = trainerPids(job.id);
    expect(pids.length).toBeGreaterThan(0);
    await stack.call('training.cancel', { id: job.id });
    const done = await stack.waitFor(job.id, undefined, 20_000);
    expect(done.status).toBe('cancelled');
    for (const pid of pids) expect(alive(pid), `trainer pid ${pid}`).toBe(false);
  });
});
