/**
 * Evaluation grids on ComfyUI (issue #17): API → worker → mock trainer for checkpoints, then the
 * fake ComfyUI renders the grid. Every graph ComfyUI received is read back from the fake: each
 * cell's LoraLoaderModelOnly loads its row's file (a checkpoint linked into models/loras, or the
 * final LoRA) at its own strength_model, with its prompt's seed and the grid's size and steps; then a purge of the person removes
 * the grid images and ComfyUI's links to the checkpoints.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvaluationGrid } from '../../src/shared/evaluations.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startFakeComfyUI, type FakeComfyUI } from '../fakes/fake-comfyui.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

let comfy: FakeComfyUI;
let stack: Stack;
const comfyDir = tempDir('isengard-comfy-eval-');

beforeAll(async () => {
  comfy = await startFakeComfyUI({ stepDelayMs: 2, comfyuiDir: comfyDir });
  stack = await startStack({ workers: 1, env: { IMAGE_BACKEND: 'comfyui', COMFYUI_URL: comfy.url, COMFYUI_DIR: comfyDir, COMFYUI_TIMEOUT_SECONDS: '20' } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await comfy?.close();
});

describe('evaluation grid on ComfyUI', () => {
  it('queues one graph per cell, each loading its row LoRA file at its strength with its prompt seed; a purge removes images and links', async () => {
    const characterId = await characterWithImages(stack, 2, 'cleo_person');
    const started = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 100 }, sample_prompts: ['cleo_person smiling'] });
    const training = await stack.waitFor(started.body.id, undefined, 60_000);
    expect(training.status, training.error).toBe('completed');

    const { body } = await stack.call<{ id: string }>('evaluations.start', { training_id: training.id, strengths: [0.7, 1.3], seed: 11, width: 768, height: 512, steps: 12 });
    const done = await stack.waitFor(body.id, undefined, 90_000);
    expect(done.status, done.error).toBe('completed');
    const grid = (await stack.call<EvaluationGrid>('evaluations.get', { id: body.id })).body;
    expect(grid.prompts).toEqual(['cleo_person smiling']); // the training's sample prompts
    expect(grid.rows.map((r) => [r.step, r.final])).toEqual([[25, false], [50, false], [75, false], [100, true]]);
    const cells = grid.rows.flatMap((r) => r.cells.map((c) => ({ ...c, row: r })));
    expect(cells).toHaveLength(4 * 2 * 1);

    // Which ComfyUI prompt drew which cell: the worker's log names both, the fake holds the graph.
    const queued = new Map(
      (await readLogLines(stack.url, body.id)).filter((l) => l.event === 'comfyui.prompt_queued').map((l) => [l.fields.name as string, l.fields.prompt_id as string]),
    );
    const graphs = new Map(comfy.prompts.map((p) => [p.prompt_id, p.prompt]));
    expect(comfy.prompts.filter((p) => Object.values(p.prompt).some((n) => n.class_type === 'SaveImage' && n.inputs.filename_prefix === body.id))).toHaveLength(cells.length);
    for (const c of cells) {
      const graph = graphs.get(queued.get(c.image!)!)!;
      const lora = Object.values(graph).find((n) => n.class_type === 'LoraLoaderModelOnly')!;
      const expectedName = c.row.final ? `isengard/${training.result_lora_id}.safetensors` : `isengard/ckpt-${training.id}-${c.row.step}.safetensors`;
      expect(lora.inputs).toMatchObject({ lora_name: expectedName, strength_model: c.strength });
      expect(Object.values(graph).find((n) => n.class_type === 'RandomNoise')!.inputs.noise_seed).toBe(c.seed);
      expect(Object.values(graph).find((n) => n.class_type === 'CLIPTextEncode')!.inputs.text).toBe('cleo_person smiling');
      // The grid's size and steps reach the latent, FLUX's shift and the scheduler.
      for (const type of ['EmptySD3LatentImage', 'ModelSamplingFlux']) expect(Object.values(graph).find((n) => n.class_type === type)!.inputs).toMatchObject({ width: 768, height: 512 });
      expect(Object.values(graph).find((n) => n.class_type === 'BasicScheduler')!.inputs.steps).toBe(12);
      // The file ComfyUI loads is the row's own: same bytes as the checkpoint (or LoRA) on the volume.
      const source = c.row.final
        ? path.join(stack.volume, 'loras', `${training.result_lora_id}.safetensors`)
        : path.join(stack.volume, 'outputs', training.id, `checkpoint_${String(c.row.step).padStart(9, '0')}.safetensors`);
      expect(fs.readFileSync(path.join(comfyDir, 'models', 'loras', expectedName)).equals(fs.readFileSync(source))).toBe(true);
    }
    for (const c of cells) expect(c.seed).toBe(11);

    const { body: purge } = await stack.call<JobRecord>('characters.purge', { id: characterId });
    expect((await stack.waitFor(purge.id, undefined, 60_000)).status).toBe('completed');
    expect(fs.existsSync(path.join(stack.volume, 'outputs', body.id))).toBe(false);
    const links = fs.readdirSync(path.join(comfyDir, 'models', 'loras', 'isengard'));
    expect(links.filter((f) => f.includes(training.id) || f.includes(training.result_lora_id!))).toEqual([]);
    const scrubbed = (await stack.call<JobRecord>('jobs.get', { id: body.id })).body;
    expect(scrubbed).toMatchObject({ config: {}, outputs: [] });
    expect(scrubbed.purged_at).toBeTruthy();
  }, 180_000);
});
