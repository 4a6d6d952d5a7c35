/** ComfyUI is told to free the GPU before a trainer starts next to it; failing to do so is only a warning. */
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedUrl, startFakeComfyUI, type FakeComfyUI } from '../../../../../tests/fakes/fake-comfyui.js';
import { effectiveConfig, fakeToolkitConfig, makeDataset, makeJob, removeTmpDirs, tmpDir, type TestJob } from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';
import type { TrainingInput } from '../../types.js';
import { createAiToolkitBackend } from './index.js';

let comfy: FakeComfyUI;
let other: FakeComfyUI;
beforeEach(async () => {
  comfy = await startFakeComfyUI();
  other = await startFakeComfyUI();
});
afterEach(async () => {
  await comfy.close();
  await other.close();
});
afterAll(removeTmpDirs);

async function train(env: Record<string, string>) {
  const root = tmpDir();
  const workDir = path.join(root, 'training', 'training-0123456789ab');
  const datasetDir = await makeDataset(path.join(workDir, 'dataset'));
  const backend = createAiToolkitBackend(fakeToolkitConfig(root, env), { pollMs: 50, env: { FAKE_AI_TOOLKIT_STEP_MS: '1' } });
  const job = makeJob(root);
  const input: TrainingInput = { config: effectiveConfig({ steps: 100 }), character: { id: 'char-0123456789ab', name: 'Zed', trigger_word: 'zxq_person' }, datasetDir, workDir };
  await backend.train(input, job.ctx);
  return job;
}
const events = (job: TestJob) => job.readLog().map((r) => r.event);
const at = (job: TestJob, event: string) => Date.parse(job.readLog().find((r) => r.event === event)!.ts);

describe('GPU shared with ComfyUI', () => {
  it('POST /free {unload_models, free_memory} reaches ComfyUI before the trainer starts, and the job log says so', async () => {
    comfy.modelsLoaded = true; // a generation ran on this GPU before
    const job = await train({ IMAGE_BACKEND: 'comfyui', COMFYUI_URL: comfy.url });
    expect(comfy.frees).toEqual([{ unload_models: true, free_memory: true, at: expect.any(Number) }]);
    expect(comfy.modelsLoaded).toBe(false);
    expect(comfy.frees[0]!.at).toBeLessThanOrEqual(at(job, 'trainer.start'));
    const order = events(job);
    expect(order.indexOf('comfyui.free')).toBeGreaterThan(-1);
    expect(order.indexOf('comfyui.free')).toBeLessThan(order.indexOf('trainer.start'));
    expect(job.readLog().find((r) => r.event === 'comfyui.free')!.msg).toBe(
      `Asked ComfyUI at ${comfy.url} to unload its models and free GPU memory before training (POST /free)`,
    );
  });

  it('a ComfyUI that does not answer is a warning in the job log, not a failed job', async () => {
    const down = await closedUrl();
    const job = await train({ IMAGE_BACKEND: 'comfyui', COMFYUI_URL: down });
    const warning = job.readLog().find((r) => r.event === 'comfyui.free_failed')!;
    expect(warning.level).toBe('WARNING');
    expect(warning.msg).toMatch(new RegExp(`^Could not ask ComfyUI at ${down} to free GPU memory \\(.*ECONNREFUSED.*\\); training starts anyway`));
    expect(events(job)).toContain('trainer.exit');
  });

  it("with COMFYUI_URLS only the ComfyUI on the worker's own GPU is freed; a GPU without one frees nothing", async () => {
    const urls = `0=${other.url},1=${comfy.url}`;
    await train({ IMAGE_BACKEND: 'comfyui', COMFYUI_URL: other.url, COMFYUI_URLS: urls, CUDA_VISIBLE_DEVICES: '1' });
    expect(comfy.frees).toHaveLength(1);
    expect(other.frees).toHaveLength(0);

    const job = await train({ IMAGE_BACKEND: 'comfyui', COMFYUI_URL: other.url, COMFYUI_URLS: urls, CUDA_VISIBLE_DEVICES: '2' });
    expect(comfy.frees).toHaveLength(1);
    expect(other.frees).toHaveLength(0);
    expect(events(job)).not.toContain('comfyui.free');
  });

  it('no ComfyUI backend configured: no /free', async () => {
    const job = await train({ IMAGE_BACKEND: 'mock', COMFYUI_URL: comfy.url });
    expect(comfy.frees).toHaveLength(0);
    expect(events(job)).not.toContain('comfyui.free_failed');
  });
});
