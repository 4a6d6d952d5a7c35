import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { comfyuiImage } from '../../../../shared/manifests.js';
import { parseConfig } from '../../../../shared/node/config.js';
import { closedUrl, createTestJobContext, FIXTURE_OBJECT_INFO, startFakeComfyUI, type FakeComfyUI } from '../../../../../tests/fakes/fake-comfyui.js';
import { JobCancelledError, NonRetryableError, type GenerationInput } from '../../types.js';
import { createComfyuiBackend } from './index.js';
import { findWorkflowsDir } from './workflow-store.js';

let root: string;
let fake: FakeComfyUI;
beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'comfyui-backend-'));
  fake = await startFakeComfyUI({ stepDelayMs: 1, comfyuiDir: path.join(root, 'comfyui') });
});
afterEach(async () => {
  await fake.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const config = (url = fake.url) =>
  parseConfig({ COMFYUI_URL: url, COMFYUI_DIR: path.join(root, 'comfyui'), VOLUME_ROOT: root, COMFYUI_TIMEOUT_SECONDS: '5' });
const backend = (url?: string, workflowsDir?: string) => createComfyuiBackend(config(url), { workflowsDir, client: { pollIntervalMs: 50 } });
function capture() {
  const lines: Array<{ level: string; msg: string } & Record<string, unknown>> = [];
  const stream = new Writable({ write: (chunk, _e, cb) => (lines.push(JSON.parse(String(chunk))), cb()) });
  const logger = pino({ level: 'debug', formatters: { level: (label) => ({ level: label }) } }, stream);
  return { logger, lines };
}
const input = (over: Partial<GenerationInput['config']> = {}, extra: Partial<GenerationInput> = {}): GenerationInput => ({
  config: { prompt: 'portrait on a beach', model_variant: 'flux-dev', seed: 500, width: 64, height: 48, steps: 3, guidance_scale: 5.5, lora_strength: 0.8, use_upscale: false, ...over },
  count: 1,
  ...extra,
});
const node = (i: number, cls: string) => Object.values(fake.prompts[i]!.prompt).find((n) => n.class_type === cls)!;

describe('createComfyuiBackend', () => {
  it('reports name and the comfyui manifest', () => {
    const b = backend();
    expect(b.name).toBe('comfyui');
    expect(b.capabilities).toBe(comfyuiImage);
  });

  it('init validates the workflows against the live object_info and logs readiness', async () => {
    const { logger, lines } = capture();
    await backend().init!(logger);
    expect(lines.map((l) => l.msg)).toContain(`ComfyUI ready at ${fake.url}; 8 workflows valid`);
    expect(fake.requests).toContain('GET /object_info');
  });

  it('init only warns when ComfyUI is down', async () => {
    const { logger, lines } = capture();
    const down = await closedUrl();
    await backend(down).init!(logger);
    expect(lines.find((l) => l.level === 'warn')!.msg).toMatch(new RegExp(`^ComfyUI not reachable at ${down}: connect ECONNREFUSED`));
  });

  it('init reports model files missing on the pod without failing', async () => {
    const info = JSON.parse(fs.readFileSync(FIXTURE_OBJECT_INFO, 'utf8'));
    info.UNETLoader.input.required.unet_name = [['flux1-schnell.safetensors']];
    info.UpscaleModelLoader.input.required.model_name[1].options = [];
    fs.writeFileSync(path.join(root, 'info.json'), JSON.stringify(info));
    await fake.close();
    fake = await startFakeComfyUI({ objectInfoPath: path.join(root, 'info.json') });
    const { logger, lines } = capture();
    await backend().init!(logger);
    expect(lines.find((l) => l.level === 'warn')!.msg).toBe(
      `ComfyUI at ${fake.url} lacks model files: unet flux1-dev.safetensors, upscale model RealESRGAN_x2plus.pth`,
    );
  });

  it('init refuses a broken workflow file, naming file, node and input', async () => {
    const dir = path.join(root, 'workflows');
    fs.cpSync(findWorkflowsDir(), dir, { recursive: true });
    const file = path.join(dir, 'flux-schnell-lora.json');
    const g = JSON.parse(fs.readFileSync(file, 'utf8'));
    g['10'].inputs.sigmas_typo = 1;
    g['14'].inputs.vae = ['99', 0];
    fs.writeFileSync(file, JSON.stringify(g));
    const err = await backend(undefined, dir).init!(capture().logger).catch((e: Error) => e);
    expect((err as Error).message).toContain(`${file}: node 14 (VAEDecode) input 'vae': links to node 99, which does not exist`);
    const live = await backend(await closedUrl(), dir).init!(capture().logger).catch((e: Error) => e);
    expect((live as Error).message).toMatch(/Broken ComfyUI workflow file/); // structural checks need no ComfyUI
    g['14'].inputs.vae = ['3', 0];
    fs.writeFileSync(file, JSON.stringify(g));
    await expect(backend(undefined, dir).init!(capture().logger)).rejects.toThrow(`${file}: node 10 (BasicScheduler) input 'sigmas_typo': 'BasicScheduler' has no input 'sigmas_typo'`);
  });

  it('generates count=2 with a LoRA and upscale: files, outputs, progress and job log', async () => {
    const lora = path.join(root, 'loras', 'lora-0a1b2c.safetensors');
    fs.mkdirSync(path.dirname(lora), { recursive: true });
    fs.writeFileSync(lora, 'weights');
    const t = createTestJobContext(root);
    await backend().generate(input({ use_upscale: true, steps: 8 }, { count: 2, lora: { id: 'lora-0a1b2c', path: lora, trigger_word: 'ohwx' } }), t.ctx);

    expect(fake.prompts).toHaveLength(2);
    expect(node(0, 'LoraLoaderModelOnly').inputs).toMatchObject({ lora_name: 'isengard/lora-0a1b2c.safetensors', strength_model: 0.8 });
    expect(fs.existsSync(path.join(root, 'comfyui', 'models', 'loras', 'isengard', 'lora-0a1b2c.safetensors'))).toBe(true);
    expect(node(0, 'CLIPTextEncode').inputs.text).toBe('ohwx, portrait on a beach');
    expect(node(1, 'RandomNoise').inputs.noise_seed).toBe(501);
    expect(node(0, 'FluxGuidance').inputs.guidance).toBe(5.5);
    expect(node(0, 'SaveImage').inputs.filename_prefix).toBe(t.ctx.jobId);

    expect(t.outputs).toEqual([
      { name: `${t.ctx.jobId}_0.png`, kind: 'image', width: 128, height: 96, seed: 500 },
      { name: `${t.ctx.jobId}_1.png`, kind: 'image', width: 128, height: 96, seed: 501 },
    ]);
    expect(await sharp(path.join(t.ctx.outputsDir, `${t.ctx.jobId}_1.png`)).metadata()).toMatchObject({ width: 128, height: 96 });
    expect(fs.readdirSync(t.ctx.outputsDir).sort()).toEqual([`${t.ctx.jobId}_0.png`, `${t.ctx.jobId}_1.png`]);

    const sampling = t.progress.filter((p) => p.current_step !== undefined);
    expect(sampling.at(-1)).toEqual({ progress: 1, current_step: 16, total_steps: 16, message: 'image 2/2' });
    expect(sampling.every((p, i) => i === 0 || p.progress >= sampling[i - 1]!.progress)).toBe(true);
    const events = t.readLog().map((r) => r.event);
    expect(events.filter((e) => e === 'comfyui.prompt_queued')).toHaveLength(2);
    expect(events.filter((e) => e === 'comfyui.image_saved')).toHaveLength(2);
    expect(events.filter((e) => e === 'upscale.applied')).toHaveLength(2);
    // milestones, not every tick: at most 4 per image
    expect(events.filter((e) => e === 'comfyui.progress')).toHaveLength(8);
    expect(t.readLog().every((r) => r.job_id === t.ctx.jobId && r.correlation_id === 'test-corr')).toBe(true);
  });

  it('schnell without LoRA: no guidance node, no upscale event, no trigger added', async () => {
    const t = createTestJobContext(root);
    await backend().generate(input({ model_variant: 'flux-schnell', guidance_scale: undefined }), t.ctx);
    expect(Object.values(fake.prompts[0]!.prompt).map((n) => n.class_type)).not.toContain('FluxGuidance');
    expect(node(0, 'CLIPTextEncode').inputs.text).toBe('portrait on a beach');
    expect(t.outputs[0]).toMatchObject({ width: 64, height: 48 });
    expect(t.readLog().map((r) => r.event)).not.toContain('upscale.applied');
  });

  it('schnell with a guidance value fails the job with the manifest’s sentence instead of dropping it', async () => {
    const t = createTestJobContext(root);
    const before = fake.prompts.length;
    await expect(backend().generate(input({ model_variant: 'flux-schnell', guidance_scale: 4 }), t.ctx)).rejects.toThrow(
      "Parameter 'guidance_scale' does not apply when model_variant is 'flux-schnell': FLUX schnell is distilled without guidance",
    );
    expect(fake.prompts.length).toBe(before);
  });

  it('cancels in ComfyUI and throws JobCancelledError when the signal fires', async () => {
    fake.setMode({ hang: true }); // image 1 reports step 1 and then runs until interrupted
    const ac = new AbortController();
    const t = createTestJobContext(root, { signal: ac.signal });
    let started = false;
    t.ctx.progress = () => (started = true);
    const timer = setInterval(() => started && fake.prompts.length === 3 && ac.abort(), 5);
    onTestFinished(() => clearInterval(timer));
    await expect(backend().generate(input({}, { count: 3 }), t.ctx)).rejects.toBeInstanceOf(JobCancelledError);
    expect(fake.interrupts.map((x) => x.interrupted)).toEqual([fake.prompts[0]!.prompt_id]);
    expect(t.outputs).toEqual([]);
  });

  it('maps node errors and execution errors to NonRetryableError, and a dead ComfyUI to a clear message', async () => {
    fake.setMode({ rejectPrompt: 400 });
    const t = createTestJobContext(root);
    await expect(backend().generate(input(), t.ctx)).rejects.toThrow(NonRetryableError);
    fake.setMode({ rejectPrompt: null, executionError: 'mat1 and mat2 shapes cannot be multiplied' });
    await expect(backend().generate(input(), t.ctx)).rejects.toThrow(/node 13 \(SamplerCustomAdvanced\): RuntimeError: mat1 and mat2/);
    const down = await closedUrl();
    await expect(backend(down).generate(input(), t.ctx)).rejects.toThrow(`ComfyUI not reachable at ${down}: connect ECONNREFUSED`);
  });
});
