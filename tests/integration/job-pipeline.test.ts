/** API → Redis → bee-queue → real worker process → mock backends → record, files and logs. */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => stack?.stop());

const post = (proc: string, input: unknown, correlationId: string) =>
  stack.call<JobRecord>(proc, input, { headers: { 'X-Correlation-ID': correlationId } });

describe('generation through the real worker', () => {
  it('upscale doubles both sides, outputs are served, and every log line carries the request correlation id', async () => {
    const cid = 'smoke-gen-0001';
    const { status, body: job } = await post('generation.start', { config: { prompt: 'portrait', width: 512, height: 640, steps: 3, use_upscale: true, seed: 7 }, count: 2 }, cid);
    expect(status).toBe(200);
    expect(job.status).toBe('queued');
    const done = await stack.waitFor(job.id);
    expect(done.status).toBe('completed');
    expect(done.progress).toBe(1);
    expect(done.outputs.map((o) => [o.kind, o.width, o.height, o.seed])).toEqual([
      ['image', 1024, 1280, 7],
      ['image', 1024, 1280, 8],
    ]);
    for (const out of done.outputs) {
      const res = await fetch(`${stack.url}/api/jobs/${job.id}/files/${out.name}`);
      expect(res.headers.get('content-type')).toBe('image/png');
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.width, meta.height]).toEqual([1024, 1280]);
    }
    const lines = await readLogLines(stack.url, job.id);
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) expect(line.correlation_id).toBe(cid);
    const events = lines.map((l) => `${l.service}:${l.event}`);
    expect(events[0]).toBe('api:job.queued');
    expect(events).toContain('worker:job.start');
    expect(events).toContain('worker:upscale.applied');
    expect(events.at(-1)).toBe('worker:job.complete');
  });

  it('without upscale the image has the requested size and the seed is stored when absent', async () => {
    const { body: job } = await post('generation.start', { config: { prompt: 'p', width: 512, height: 512, steps: 1 } }, 'gen-noup');
    expect(typeof job.config.seed).toBe('number');
    const done = await stack.waitFor(job.id);
    expect(done.outputs[0]).toMatchObject({ width: 512, height: 512, seed: job.config.seed });
  });

  it('a file name that tries to escape is refused', async () => {
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', '.hidden', '%00x.png']) {
      const res = await fetch(`${stack.url}/api/jobs/generation-000000000000/files/${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await fetch(`${stack.url}/api/jobs/generation-000000000000/files/none.png`)).status).toBe(404);
  });
});

describe('training through the real worker', () => {
  it('runs to a LoRA with checkpoints and samples, then generates with it', async () => {
    const characterId = await characterWithImages(stack);
    const { status, body: job } = await post('training.start', { character_id: characterId, config: { steps: 100, lora_rank: 8 } }, 'train-1');
    expect(status).toBe(200);
    expect(job.config).toMatchObject({ steps: 100, lora_rank: 8, optimizer: 'adamw8bit' });
    const done = await stack.waitFor(job.id);
    expect(done.status, done.error).toBe('completed');
    expect(done.current_step).toBe(100);
    expect(done.total_steps).toBe(100);
    expect(typeof done.loss).toBe('number');
    const kinds = done.outputs.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'checkpoint')).toHaveLength(3);
    // Baseline and final samples, one per default sample prompt (sample_every 250 > 100 steps).
    expect(kinds.filter((k) => k === 'sample')).toHaveLength(4);
    expect(kinds).toContain('lora');
    const loraId = done.result_lora_id!;
    const { body: loras } = await stack.call<{ id: string; character_id: string; job_id: string; lora_rank: number }[]>('loras.list');
    expect(loras.find((l) => l.id === loraId)).toMatchObject({ character_id: characterId, job_id: job.id, lora_rank: 8 });
    const events = (await readLogLines(stack.url, job.id)).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['job.queued', 'job.start', 'trainer.config', 'trainer.checkpoint', 'trainer.sample', 'lora.registered', 'job.complete']));

    const { body: gen } = await post('generation.start', { config: { prompt: 'zed_person smiling', width: 512, height: 512, steps: 1 }, lora_id: loraId }, 'gen-lora');
    expect(gen.lora_id).toBe(loraId);
    expect((await stack.waitFor(gen.id)).status).toBe('completed');
    const unknown = await stack.call<{ message: string }>('generation.start', { config: { prompt: 'x' }, lora_id: 'lora-000000000000' });
    expect(unknown.status).toBe(404);
  });

  it('a dataset edit after start does not change the running job (snapshot)', async () => {
    const characterId = await characterWithImages(stack, 1, 'snap_person');
    // Long enough to still be active while we look: a final training's snapshot is removed.
    const { body: job } = await post('training.start', { character_id: characterId, config: { steps: 5000 } }, 'snap');
    const character = (await stack.call<{ images: { name: string }[] }>('characters.get', { id: characterId })).body;
    await stack.call('characters.setCaption', { id: characterId, image: character.images[0]!.name, caption: 'changed later' });
    const fs = await import('node:fs/promises');
    const captions = (await fs.readdir(`${stack.volume}/training/${job.id}/dataset`)).filter((f) => f.endsWith('.txt'));
    expect(await fs.readFile(`${stack.volume}/training/${job.id}/dataset/${captions[0]}`, 'utf8')).toBe('snap_person');
    await stack.call('training.cancel', { id: job.id });
    await stack.waitFor(job.id);
  });
});
