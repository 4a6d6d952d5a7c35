/**
 * IMAGE_BACKEND=comfyui through the real processes: API → worker → fake ComfyUI (HTTP + WS).
 * Upscale doubles both sides; ComfyUI unreachable, hanging or rejecting the graph fails the job
 * with a clear message within the timeout.
 */
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { closedUrl, startFakeComfyUI, type FakeComfyUI } from '../fakes/fake-comfyui.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { readLogLines } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/test-config.js';

let comfy: FakeComfyUI;
let stack: Stack;
const comfyDir = tempDir('isengard-comfy-');

beforeAll(async () => {
  comfy = await startFakeComfyUI({ stepDelayMs: 5, comfyuiDir: comfyDir });
  stack = await startStack({ env: { IMAGE_BACKEND: 'comfyui', COMFYUI_URL: comfy.url, COMFYUI_DIR: comfyDir, COMFYUI_TIMEOUT_SECONDS: '3' } });
});
afterAll(async () => {
  await stack?.stop();
  await comfy?.close();
});
afterEach(async () => {
  for (const w of stack.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(stack.workers.map((w) => w.exited));
  comfy.setMode({ rejectPrompt: null, executionError: null, hang: false });
});

const generate = async (config: Record<string, unknown>, count = 1) =>
  (await stack.call<JobRecord>('generation.start', { config: { prompt: 'a lighthouse', width: 512, height: 768, steps: 4, ...config }, count })).body;

describe('generation on ComfyUI', () => {
  it('upscale yields images exactly 2x the requested size, with consecutive seeds, and /api/info says comfyui', async () => {
    await stack.spawnWorker();
    expect(((await (await fetch(`${stack.url}/api/info`)).json()) as { image_generation: { backend: string } }).image_generation.backend).toBe('comfyui');
    const job = await generate({ use_upscale: true, seed: 100, model_variant: 'flux-schnell' }, 2);
    const done = await stack.waitFor(job.id, undefined, 30_000);
    expect(done.status, done.error).toBe('completed');
    expect(done.outputs.map((o) => [o.width, o.height, o.seed])).toEqual([
      [1024, 1536, 100],
      [1024, 1536, 101],
    ]);
    const res = await fetch(`${stack.url}/api/jobs/${job.id}/files/${done.outputs[0]!.name}`);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 1536]);
    const graphs = comfy.prompts.slice(-2).map((p) => Object.values(p.prompt).map((n) => n.class_type));
    for (const classes of graphs) expect(classes).toEqual(expect.arrayContaining(['UpscaleModelLoader', 'ImageUpscaleWithModel']));
    const events = (await readLogLines(stack.url, job.id)).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['comfyui.prompt_queued', 'upscale.applied', 'job.complete']));
  });

  it('a graph ComfyUI rejects fails the job naming the node', async () => {
    await stack.spawnWorker();
    comfy.setMode({ rejectPrompt: 400 });
    const done = await stack.waitFor((await generate({})).id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/node/i);
  });

  it('an execution error fails the job with the exception message', async () => {
    await stack.spawnWorker();
    comfy.setMode({ executionError: 'CUDA out of memory' });
    const done = await stack.waitFor((await generate({})).id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toContain('CUDA out of memory');
  });

  it('a hanging ComfyUI fails the job within the timeout', async () => {
    await stack.spawnWorker();
    comfy.setMode({ hang: true });
    const started = Date.now();
    const done = await stack.waitFor((await generate({})).id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/ComfyUI did not finish image 1\/1 within 3 s/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('an unreachable ComfyUI fails the job saying where it looked', async () => {
    const url = await closedUrl();
    await stack.spawnWorker({ COMFYUI_URL: url });
    const done = await stack.waitFor((await generate({})).id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toContain(`ComfyUI not reachable at ${url}`);
  });
});
