/** COMFYUI_URLS: a worker's generations go to the ComfyUI on its own GPU. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../shared/node/config.js';
import { createTestJobContext, startFakeComfyUI, type FakeComfyUI } from '../../../../../tests/fakes/fake-comfyui.js';
import { createComfyuiBackend } from './index.js';

let root: string;
let gpu0: FakeComfyUI;
let gpu1: FakeComfyUI;
beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyui-per-gpu-'));
  gpu0 = await startFakeComfyUI({ stepDelayMs: 1 });
  gpu1 = await startFakeComfyUI({ stepDelayMs: 1 });
});
afterEach(async () => {
  await gpu0.close();
  await gpu1.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const backendFor = (gpu: string) =>
  createComfyuiBackend(
    parseConfig({ VOLUME_ROOT: root, COMFYUI_DIR: path.join(root, 'comfyui'), COMFYUI_URL: gpu0.url, COMFYUI_URLS: `0=${gpu0.url},1=${gpu1.url}`, CUDA_VISIBLE_DEVICES: gpu, COMFYUI_TIMEOUT_SECONDS: '5' }),
    { client: { pollIntervalMs: 50 } },
  );
const input = { config: { prompt: 'a lighthouse', model_variant: 'flux-schnell', seed: 1, width: 64, height: 64, steps: 2, use_upscale: false }, count: 1 };

describe('one ComfyUI per GPU', () => {
  it.each([
    ['0', () => gpu0, () => gpu1],
    ['1', () => gpu1, () => gpu0],
  ])('a worker on GPU %s generates on its own ComfyUI only', async (gpu, own, foreign) => {
    const t = createTestJobContext(root);
    await backendFor(gpu).generate(input, t.ctx);
    expect(own().prompts).toHaveLength(1);
    expect(foreign().prompts).toHaveLength(0);
    expect(t.outputs).toHaveLength(1);
  });

  it('a GPU missing from COMFYUI_URLS falls back to COMFYUI_URL and init says so', async () => {
    const lines: Array<{ msg: string }> = [];
    const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
    const backend = backendFor('3');
    await backend.init!(logger);
    expect(lines.map((l) => l.msg)).toContain(`COMFYUI_URLS has no entry for this worker's GPU; generations go to COMFYUI_URL ${gpu0.url}`);
    await backend.generate(input, createTestJobContext(root).ctx);
    expect(gpu0.prompts).toHaveLength(1);
  });
});
