/**
 * Does an evaluation grid keep the GPU busy? Like comfyui-throughput, but for the grid path: 32
 * cells (4 rows × 4 strengths × 2 prompts), each graph loading its own row's LoRA file at its own
 * strength, handed to the ComfyUI backend's renderGrid in one batch. The fake ComfyUI spends a fixed
 * GPU time per image and reports how long it was executing; the grid's wall time is compared with
 * that busy time, measured in the same run. Goal: busy / wall ≥ 0.97.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/shared/node/config.js';
import { createComfyuiBackend } from '../src/worker/backends/image/comfyui/index.js';
import type { GridImage } from '../src/worker/backends/types.js';
import { createTestJobContext, startFakeComfyUI } from '../tests/fakes/fake-comfyui.js';
import { round, type BenchResult } from './lib/types.js';

const ROWS = 4;
const STRENGTHS = [0.6, 0.8, 1.0, 1.2];
const PROMPTS = ['photo of bench_person, portrait', 'close-up portrait photo of bench_person'];
const GPU_MS = 50;
const SIZE = 512;

export async function run(): Promise<BenchResult[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-eval-grid-'));
  const comfyuiDir = path.join(root, 'comfyui');
  const fake = await startFakeComfyUI({ gpuMsPerImage: GPU_MS, comfyuiDir });
  try {
    const config = parseConfig({ COMFYUI_URL: fake.url, COMFYUI_DIR: comfyuiDir, VOLUME_ROOT: root });
    const backend = createComfyuiBackend(config);
    // One small file per row stands in for a checkpoint: linking is part of the measured path.
    const loras = Array.from({ length: ROWS }, (_, r) => {
      const file = path.join(root, `checkpoint_${r}.safetensors`);
      fs.writeFileSync(file, Buffer.alloc(4096 + r));
      return { id: `ckpt-training-000000000000-${(r + 1) * 250}`, path: file };
    });
    const grid = (jobId: string, rows: number) => {
      const images: GridImage[] = [];
      for (let r = 0; r < rows; r++) {
        for (const [p, prompt] of PROMPTS.entries()) {
          for (const [s, strength] of STRENGTHS.entries()) {
            images.push({ prompt, seed: 100 + p, lora: loras[r]!, strength, name: `${jobId}_${r}_s${s}_p${p}.png`, step: (r + 1) * 250 });
          }
        }
      }
      const t = createTestJobContext(root, { jobId });
      return async () => {
        await backend.renderGrid({ config: { model_variant: 'flux-dev', width: SIZE, height: SIZE, steps: 20 }, images }, t.ctx);
        t.ctx.logger.close();
        return images.length;
      };
    };
    await grid('evaluation-000000000000', 1)(); // warm-up: JIT, sharp, sockets, links

    const busyBefore = fake.stats.busyMs;
    const started = performance.now();
    const n = await grid('evaluation-000000000001', ROWS)();
    const wall = performance.now() - started;
    const busy = fake.stats.busyMs - busyBefore;
    const overhead = Math.max(0, wall - busy) / n;
    return [
      {
        name: 'evaluation_grid_gpu_busy_fraction',
        baseline: round(busy),
        value: round(wall),
        ratio: round(busy / wall, 3),
        unit: 'ms',
        notes: `${n} grid cells (${ROWS} LoRA files × ${STRENGTHS.length} strengths × ${PROMPTS.length} prompts) at ${GPU_MS} ms simulated GPU each (${SIZE}px); baseline = time the fake was executing, value = grid wall time; goal ratio >= 0.97`,
      },
      {
        name: 'evaluation_grid_overhead_per_cell',
        baseline: round(busy / n),
        value: round(overhead),
        ratio: round(overhead / (busy / n), 3),
        unit: 'ms',
        notes: 'grid wall time not covered by GPU work, per cell (links, submit, /history, /view, save, output record); lower is better',
      },
    ];
  } finally {
    await fake.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
