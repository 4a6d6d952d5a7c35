import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedUrl, startFakeComfyUI, type FakeComfyUI } from '../../../../../tests/fakes/fake-comfyui.js';
import { JobCancelledError, NonRetryableError } from '../../types.js';
import { ComfyUIClient, type FetchedImage, type RunOptions } from './comfyui-client.js';
import { buildWorkflow } from './workflow-build.js';
import { injectWorkflow } from './workflow-inject.js';
import type { WorkflowName } from './workflow-types.js';

let fake: FakeComfyUI;
beforeEach(async () => {
  fake = await startFakeComfyUI({ stepDelayMs: 2 });
});
afterEach(async () => {
  await fake.close();
});

const client = () => new ComfyUIClient({ url: fake.url, pollIntervalMs: 40, reconnectMinMs: 20, reconnectMaxMs: 100 });
function graphs(name: WorkflowName, count: number, seed = 1000, size = { width: 64, height: 48 }) {
  return Array.from({ length: count }, (_, i) =>
    injectWorkflow(buildWorkflow(name), name, { prompt: 'p', ...size, seed: seed + i, steps: 4, ...(name.startsWith('flux-dev') ? { guidance_scale: 3.5 } : {}), filenamePrefix: 'job' }),
  );
}
async function run(c: ComfyUIClient, gs: ReturnType<typeof graphs>, extra: Partial<RunOptions> = {}) {
  const results: Array<{ index: number; images: FetchedImage[] }> = [];
  await c.run(gs, { timeoutMs: 5_000, ...extra, onResult: async (index, images) => void results.push({ index, images }) });
  return results;
}
const seedOf = (i: number) => Object.values(fake.prompts[i]!.prompt).find((n) => n.class_type === 'RandomNoise')!.inputs.noise_seed;

describe('ComfyUIClient against the fake', () => {
  it('runs count=3 as three prompts with seeds seed..seed+2, all queued before the first result is handled', async () => {
    const progress: Array<[number, number, number]> = [];
    const queuedAtFirstResult: number[] = [];
    const results: FetchedImage[][] = [];
    await client().run(graphs('flux-dev', 3, 41), {
      timeoutMs: 5_000,
      onProgress: (i, p) => progress.push([i, p.value, p.max]),
      onResult: async (i, images) => {
        if (i === 0) queuedAtFirstResult.push(fake.prompts.length);
        results[i] = images;
      },
    });
    expect(fake.prompts.map((_, i) => seedOf(i))).toEqual([41, 42, 43]);
    expect(queuedAtFirstResult).toEqual([3]);
    expect(fake.requests.indexOf('WS /ws')).toBeLessThan(fake.requests.indexOf('POST /prompt'));
    expect(new Set(fake.prompts.map((p) => p.client_id)).size).toBe(1);
    for (const images of results) {
      expect(images).toHaveLength(1);
      expect(await sharp(images[0]!.data).metadata()).toMatchObject({ format: 'png', width: 64, height: 48 });
    }
    expect(progress.filter(([i]) => i === 2).map(([, v, m]) => `${v}/${m}`)).toEqual(['1/4', '2/4', '3/4', '4/4']);
    expect(fake.requests.filter((r) => r.startsWith('GET /history/')).length).toBeGreaterThanOrEqual(3);
  });

  it('gets exactly 2x images from an upscale workflow', async () => {
    const [r] = await run(client(), graphs('flux-schnell-upscale', 1, 7, { width: 80, height: 64 }));
    expect(await sharp(r!.images[0]!.data).metadata()).toMatchObject({ width: 160, height: 128 });
  });

  it('turns a 400 with node_errors into a message naming node, class and ComfyUI message', async () => {
    fake.setMode({ rejectPrompt: 400 });
    const err = await run(client(), graphs('flux-dev', 2)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toBe(
      "ComfyUI rejected the workflow (Prompt outputs failed validation): node 1 (UNETLoader): Value not in list: unet_name: 'flux1-dev.safetensors' not in []",
    );
    expect(fake.prompts).toHaveLength(0);
  });

  it('reports ComfyUI’s own validation failure, e.g. a LoRA file it cannot see', async () => {
    const [g] = graphs('flux-dev', 1);
    const lora = injectWorkflow(buildWorkflow('flux-dev-lora'), 'flux-dev-lora', {
      prompt: 'p', width: 64, height: 64, seed: 1, steps: 4, filenamePrefix: 'j', lora: { name: 'isengard/nope.safetensors', strength: 1 },
    });
    expect(g).toBeDefined();
    await expect(run(client(), [lora])).rejects.toThrow(/node 6 \(LoraLoaderModelOnly\): Value not in list: lora_name: 'isengard\/nope.safetensors' not in \[\]/);
  });

  it('treats a 200 with node_errors as a failure and removes what ComfyUI queued anyway', async () => {
    fake.setMode({ rejectPrompt: 200, stepDelayMs: 50 });
    await expect(run(client(), graphs('flux-dev', 2))).rejects.toThrow(/node 1 \(UNETLoader\): Value not in list/);
    expect(fake.prompts).toHaveLength(1);
    const id = fake.prompts[0]!.prompt_id;
    expect(fake.deleted.includes(id) || fake.interrupts.some((x) => x.interrupted === id)).toBe(true);
  });

  it('fails with the exception message on execution_error', async () => {
    fake.setMode({ executionError: 'CUDA out of memory. Tried to allocate 2.00 GiB' });
    await expect(run(client(), graphs('flux-dev', 2))).rejects.toThrow(
      'ComfyUI failed on image 1/2 in node 13 (SamplerCustomAdvanced): RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB',
    );
  });

  it('keeps events that arrive before the POST /prompt answer (fast prompt, slow HTTP)', async () => {
    fake.setMode({ promptResponseDelayMs: 150, stepDelayMs: 1 });
    const started = Date.now();
    const results = await run(client(), graphs('flux-schnell', 1));
    expect(results).toHaveLength(1);
    fake.setMode({ executionError: 'boom' });
    await expect(run(client(), graphs('flux-schnell', 1))).rejects.toThrow(/node 13 \(SamplerCustomAdvanced\): RuntimeError: boom/);
    // Well under the slow backstop poll (10 s): the buffered events did the work.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('reconnects when the socket drops mid-run and finishes every image', async () => {
    fake.setMode({ dropWs: { afterStep: 2, downMs: 60 }, stepDelayMs: 50 });
    const progress: number[] = [];
    const results = await run(client(), graphs('flux-schnell', 3), { onProgress: (i) => progress.push(i) });
    expect(results.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(fake.stats.wsConnections).toBeGreaterThanOrEqual(2);
    expect(progress).toContain(2); // events flow again after the reconnect
  });

  it('finishes from /history polling alone when the socket never comes back', async () => {
    fake.setMode({ dropWs: { afterStep: 1, downMs: 60_000 }, stepDelayMs: 5 });
    const results = await run(client(), graphs('flux-dev-upscale', 3));
    expect(results.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(fake.stats.wsConnections).toBe(1);
    expect(await sharp(results[2]!.images[0]!.data).metadata()).toMatchObject({ width: 128, height: 96 });
  });

  it('times out a hung image, naming it, and interrupts ComfyUI', async () => {
    fake.setMode({ hang: true });
    const started = Date.now();
    await expect(run(client(), graphs('flux-dev', 2), { timeoutMs: 300 })).rejects.toThrow(/ComfyUI did not finish image 1\/2 within 0.3 s/);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(fake.interrupts.map((x) => x.interrupted)).toEqual([fake.prompts[0]!.prompt_id]);
    expect(fake.deleted).toContain(fake.prompts[1]!.prompt_id);
  });

  it('cancel while running: deletes the pending prompts and interrupts the running one', async () => {
    fake.setMode({ hang: true }); // image 1 reports step 1 and then runs until interrupted
    const ac = new AbortController();
    let queued = 0;
    let started = false;
    const maybeAbort = () => queued === 3 && started && ac.abort();
    const err = await run(client(), graphs('flux-dev', 3), {
      signal: ac.signal,
      onQueued: () => (queued++, maybeAbort()),
      onProgress: () => ((started = true), maybeAbort()),
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(JobCancelledError);
    const [a, b, c] = fake.prompts.map((p) => p.prompt_id);
    expect(fake.interrupts).toEqual([{ prompt_id: a, interrupted: a }]);
    expect(fake.deleted).toEqual(expect.arrayContaining([b, c]));
  });

  it('cancel while pending: deletes from the queue and does not interrupt someone else’s prompt', async () => {
    fake.setMode({ hang: true }); // someone else's prompt holds the GPU until the end of the test
    const other = (await (
      await fetch(`${fake.url}/prompt`, { method: 'POST', body: JSON.stringify({ prompt: graphs('flux-dev', 1)[0], client_id: 'someone-else' }) })
    ).json()) as { prompt_id: string };
    const ac = new AbortController();
    const err = await run(client(), graphs('flux-dev', 1), { signal: ac.signal, onQueued: () => ac.abort() }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(JobCancelledError);
    const ours = fake.prompts[1]!.prompt_id;
    expect(fake.deleted).toEqual([ours]);
    expect(fake.interrupts.filter((x) => x.interrupted)).toEqual([]);
    const queue = (await (await fetch(`${fake.url}/queue`)).json()) as { queue_running: unknown[][]; queue_pending: unknown[][] };
    expect(queue.queue_running.map((x) => x[1])).toEqual([other.prompt_id]);
    expect(queue.queue_pending).toEqual([]);
  });

  it('says clearly when ComfyUI is not reachable', async () => {
    const url = await closedUrl();
    const c = new ComfyUIClient({ url });
    await expect(run(c, graphs('flux-dev', 1))).rejects.toThrow(`ComfyUI not reachable at ${url}: connect ECONNREFUSED`);
    await expect(c.getObjectInfo()).rejects.toThrow(`ComfyUI not reachable at ${url}: connect ECONNREFUSED`);
  });

  it('reads object_info with exact 2^64-1 seed bounds, and system stats', async () => {
    const info = await client().getObjectInfo();
    expect((info.RandomNoise!.input.required!.noise_seed![1] as { max: unknown }).max).toBe(18446744073709551615n);
    expect((await client().systemStats()).devices[0]!.type).toBe('cuda');
  });
});
