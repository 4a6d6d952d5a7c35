/**
 * Does the ComfyUI backend keep the GPU busy? The fake ComfyUI spends a fixed "GPU" time per image
 * and reports how long it was executing; a 16-image job's wall time is compared with that busy time
 * measured in the same run. Pipelining (all prompts queued up front) is also compared with waiting
 * for each image before queueing the next.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/shared/node/config.js';
import { ComfyUIClient } from '../src/worker/backends/image/comfyui/comfyui-client.js';
import { createComfyuiBackend } from '../src/worker/backends/image/comfyui/index.js';
import { buildWorkflow } from '../src/worker/backends/image/comfyui/workflow-build.js';
import { injectWorkflow } from '../src/worker/backends/image/comfyui/workflow-inject.js';
import { createTestJobContext, startFakeComfyUI } from '../tests/fakes/fake-comfyui.js';

import type { BenchResult } from './lib/types.js';

const IMAGES = 16;
const GPU_MS = 50;
const SIZE = 512;

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-comfyui-'));
  const fake = await startFakeComfyUI({ gpuMsPerImage: GPU_MS });
  try {
    const config = parseConfig({ COMFYUI_URL: fake.url, COMFYUI_DIR: path.join(root, 'comfyui'), VOLUME_ROOT: root });
    const backend = createComfyuiBackend(config);
    const job = (id: string, count: number) => {
      const t = createTestJobContext(root, { jobId: id });
      const input = { config: { prompt: 'bench', model_variant: 'flux-dev', seed: 1, width: SIZE, height: SIZE, steps: 20 }, count };
      return async () => {
        await backend.generate(input, t.ctx);
        t.ctx.logger.close();
      };
    };
    await job('generation-000000000000', 2)(); // warm-up: JIT, sharp, sockets

    const busyBefore = fake.stats.busyMs;
    const started = performance.now();
    await job('generation-000000000001', IMAGES)();
    const wall = performance.now() - started;
    const busy = fake.stats.busyMs - busyBefore;

    // Same images, one prompt at a time: what the pipelining buys.
    const client = new ComfyUIClient({ url: fake.url });
    const graph = (i: number) =>
      injectWorkflow(buildWorkflow('flux-dev'), 'flux-dev', { prompt: 'bench', width: SIZE, height: SIZE, seed: i, steps: 20, filenamePrefix: 'seq' });
    const seqStarted = performance.now();
    for (let i = 0; i < IMAGES; i++) await client.run([graph(i)], { timeoutMs: 60_000, onResult: async () => {} });
    const sequential = performance.now() - seqStarted;

    const overhead = Math.max(0, wall - busy) / IMAGES;
    return [
      {
        name: 'comfyui_gpu_busy_fraction',
        baseline: round(busy),
        value: round(wall),
        ratio: round(busy / wall, 3),
        unit: 'ms',
        notes: `${IMAGES} images at ${GPU_MS} ms simulated GPU each (${SIZE}px); baseline = time the fake was executing, value = job wall time; goal ratio >= 0.97`,
      },
      {
        name: 'comfyui_client_overhead_per_image',
        baseline: round(busy / IMAGES),
        value: round(overhead),
        ratio: round(overhead / (busy / IMAGES), 3),
        unit: 'ms',
        notes: 'wall time not covered by GPU work, per image (socket, submit, /history, /view, save, sharp metadata); lower is better',
      },
      {
        name: 'comfyui_pipelined_vs_sequential',
        baseline: round(sequential),
        value: round(wall),
        ratio: round(wall / sequential, 3),
        unit: 'ms',
        notes: 'backend job (all prompts queued ahead, saving overlapped) vs. queue-one-wait-one with the bare client; lower ratio is better',
      },
    ];
  } finally {
    await fake.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
