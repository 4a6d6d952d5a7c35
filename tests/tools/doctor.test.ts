/**
 * The readiness doctor against fakes: an nvidia-smi script on PATH, the fake ComfyUI, the fake
 * ai-toolkit folder (with its fake venv), private Redis servers with and without AOF. Also
 * `./start.sh doctor` (exit code), `system.readiness` over tRPC and `isengard doctor`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/shared/node/config.js';
import { runReadinessChecks } from '../../src/shared/node/readiness/index.js';
import { createRedis } from '../../src/shared/node/redis.js';
import type { ReadinessItem } from '../../src/shared/readiness.js';
import { FAKE_AI_TOOLKIT_DIR } from '../fakes/fake-ai-toolkit/harness.js';
import { closedUrl, startFakeComfyUI, type FakeComfyUI } from '../fakes/fake-comfyui.js';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { REPO, startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';
import { runCli } from './cli-harness.js';

const FAKE_SMI_DIR = path.join(REPO, 'tests', 'fakes', 'fake-nvidia-smi');
const withSmi = { ...process.env, PATH: `${FAKE_SMI_DIR}:${process.env.PATH}` };
const withoutSmi = { ...process.env, PATH: '/usr/bin:/bin' };

let aofRedis: TestRedis;
let plainRedis: TestRedis;
let comfy: FakeComfyUI;
let comfyuiDir: string;
let manifest: string;
let localFlux: string;
/** A hub cache holding Florence-2 (the production caption model), as after a first caption job. */
let florenceHfHome: string;

beforeAll(async () => {
  [aofRedis, plainRedis, comfy] = await Promise.all([startRedis({ aof: true }), startRedis({ aof: false }), startFakeComfyUI()]);
  // A small models list, so the files can really be present (sizes checked).
  comfyuiDir = tempDir('isengard-doctor-comfy-');
  const models = [
    { name: 'flux1-dev.safetensors', folder: 'diffusion_models', also_in: ['unet'], url: 'https://example.invalid/a', sha256: null, size: 4, gated: true },
    { name: 'ae.safetensors', folder: 'vae', url: 'https://example.invalid/b', sha256: null, size: 2 },
  ];
  manifest = path.join(comfyuiDir, 'list.json');
  fs.writeFileSync(manifest, JSON.stringify({ models }));
  fs.mkdirSync(path.join(comfyuiDir, 'models', 'unet'), { recursive: true });
  fs.writeFileSync(path.join(comfyuiDir, 'models', 'unet', 'flux1-dev.safetensors'), 'unet');
  fs.mkdirSync(path.join(comfyuiDir, 'models', 'vae'), { recursive: true });
  fs.writeFileSync(path.join(comfyuiDir, 'models', 'vae', 'ae.safetensors'), 'ae');
  localFlux = tempDir('isengard-flux-');
  florenceHfHome = tempDir('isengard-hf-florence-');
  const snapshot = path.join(florenceHfHome, 'hub', 'models--microsoft--Florence-2-large', 'snapshots', 'r1');
  fs.mkdirSync(snapshot, { recursive: true });
  fs.writeFileSync(path.join(snapshot, 'config.json'), '{}');
});
afterAll(async () => {
  await Promise.all([aofRedis?.stop(), plainRedis?.stop(), comfy?.close()]);
});

/** A production pod where everything is in place; each test breaks one thing. */
function podEnv(over: Record<string, string> = {}): Record<string, string> {
  return {
    ISENGARD_MODE: 'production',
    VOLUME_ROOT: tempDir('isengard-doctor-vol-'),
    REDIS_URL: aofRedis.url,
    COMFYUI_URL: comfy.url,
    COMFYUI_DIR: comfyuiDir,
    ISENGARD_MODELS_MANIFEST: manifest,
    AI_TOOLKIT_DIR: FAKE_AI_TOOLKIT_DIR,
    HF_TOKEN: 'hf_doctortokendoctortoken',
    FLUX_MODEL: localFlux,
    HF_HOME: florenceHfHome,
    ...over,
  };
}

async function doctor(over: Record<string, string> = {}, env: NodeJS.ProcessEnv = withSmi): Promise<Record<string, ReadinessItem>> {
  const config = parseConfig(podEnv(over));
  const redis = createRedis(config.REDIS_URL, { lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect().catch(() => undefined);
  try {
    const { items } = await runReadinessChecks(config, { redis, env });
    return Object.fromEntries(items.map((i) => [i.id, i]));
  } finally {
    redis.disconnect();
  }
}

describe('readiness doctor', () => {
  it('a ready pod: every item ok, with GPUs, ComfyUI version, model files and python versions', async () => {
    const items = await doctor();
    expect(Object.values(items).filter((i) => i.status !== 'ok')).toEqual([]);
    expect(items.gpus!.message).toBe('2 GPUs: 0: NVIDIA A100-SXM4-80GB (81920 MiB), 1: NVIDIA A100-SXM4-80GB (81920 MiB)');
    expect(items.comfyui!.message).toBe(`ComfyUI 0.3.fake at ${comfy.url} on cuda:0 Fake GPU`);
    expect(items['model:flux1-dev.safetensors']!.message).toBe(path.join('models', 'unet', 'flux1-dev.safetensors'));
    expect(items['ai-toolkit']!.message).toContain('isengard.fake');
    expect(items['hf-token']!.message).toBe('HF_TOKEN is set (not shown)');
    expect(items['caption-model']!.message).toBe(`microsoft/Florence-2-large is cached in ${path.join(florenceHfHome, 'hub')}`);
    expect(JSON.stringify(items)).not.toContain('hf_doctortokendoctortoken');
    expect(items.volume!.message).toMatch(/is writable, [\d.]+ GB free$/);
    expect(items.redis!.message).toContain('persists with an append-only file');
  });

  it('each problem is a fail (or warn) with a one-line fix', async () => {
    const down = await closedUrl();
    const notAFolder = path.join(tempDir('isengard-doctor-file-'), 'file');
    fs.writeFileSync(notAFolder, 'x');
    const hfHome = tempDir('isengard-hf-');
    const [noGpu, broken, hub, cached] = await Promise.all([
      doctor({}, withoutSmi),
      doctor({ COMFYUI_URL: down, COMFYUI_DIR: tempDir('isengard-empty-comfy-'), AI_TOOLKIT_PYTHON: 'python3', HF_TOKEN: '', VOLUME_ROOT: notAFolder, REDIS_URL: plainRedis.url }),
      doctor({ FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_HOME: hfHome }),
      (() => {
        fs.mkdirSync(path.join(hfHome, 'cached', 'hub', 'models--black-forest-labs--FLUX.1-dev', 'snapshots', 'r1'), { recursive: true });
        fs.writeFileSync(path.join(hfHome, 'cached', 'hub', 'models--black-forest-labs--FLUX.1-dev', 'snapshots', 'r1', 'model_index.json'), '{}');
        return doctor({ FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_HOME: path.join(hfHome, 'cached') });
      })(),
    ]);
    expect(noGpu.gpus).toMatchObject({ status: 'fail', message: 'no GPU seen (nvidia-smi not found)', fix: expect.any(String) });

    expect(broken.comfyui).toMatchObject({ status: 'fail', message: expect.stringContaining(`ComfyUI not reachable at ${down}`), fix: expect.stringContaining('python main.py --port') });
    expect(broken['model:flux1-dev.safetensors']).toMatchObject({ status: 'fail', fix: 'set HF_TOKEN (and accept the licence on Hugging Face), then run ./start.sh models' });
    expect(broken['model:ae.safetensors']).toMatchObject({ status: 'fail', fix: 'run ./start.sh models' });
    expect(broken['ai-toolkit']).toMatchObject({ status: 'fail', message: expect.stringContaining("No module named 'torch'") });
    expect(broken['hf-token']).toMatchObject({ status: 'warn', message: expect.stringContaining('HF_TOKEN is not set') });
    expect(broken.volume).toMatchObject({ status: 'fail', message: expect.stringContaining('is not writable') });
    expect(broken.redis).toMatchObject({ status: 'fail', message: expect.stringContaining('persistence off') });
    for (const item of Object.values(broken).filter((i) => i.status !== 'ok')) expect(item.fix).toBeTruthy();

    expect(hub['flux-model']).toMatchObject({ status: 'warn', message: expect.stringContaining(`not cached in ${path.join(hfHome, 'hub')}`) });
    expect(cached['flux-model']).toMatchObject({ status: 'ok', message: expect.stringContaining('is cached in') });
    // Florence-2 (the production caption backend): the same hub cache, its own item.
    expect(hub['caption-model']).toMatchObject({ status: 'warn', message: expect.stringContaining(`microsoft/Florence-2-large is not cached in ${path.join(hfHome, 'hub')}`) });
    expect(cached['caption-model']).toMatchObject({ status: 'warn', fix: expect.stringContaining('the first caption job fills the cache') });
  });

  it('no HF_TOKEN while the gated FLUX_MODEL still has to be downloaded is a fail', async () => {
    const items = await doctor({ FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_HOME: tempDir('isengard-hf-'), HF_TOKEN: '' });
    expect(items['hf-token']).toMatchObject({ status: 'fail', fix: expect.stringContaining('huggingface.co/black-forest-labs/FLUX.1-dev') });
  });

  it('fast-test (mock backends): items that do not apply are ok and say why, even with no GPU, ComfyUI or AOF', async () => {
    const items = await doctor({ ISENGARD_MODE: 'fast-test', COMFYUI_URL: await closedUrl(), AI_TOOLKIT_DIR: '/nonexistent', REDIS_URL: plainRedis.url }, withoutSmi);
    expect(Object.values(items).map((i) => [i.id, i.status])).toEqual(
      ['gpus', 'comfyui', 'ai-toolkit', 'hf-token', 'flux-model', 'caption-model', 'volume', 'redis'].map((id) => [id, 'ok']),
    );
    expect(items.comfyui!.message).toBe('not checked: the image backend is mock, not ComfyUI');
    expect(items.redis!.message).toContain('fine for fast-test');
  });

  it('with COMFYUI_URLS every per-GPU ComfyUI is checked', async () => {
    const down = await closedUrl();
    const items = await doctor({ COMFYUI_URLS: `0=${comfy.url},1=${down}` });
    expect(items['comfyui:gpu 0']).toMatchObject({ status: 'ok' });
    expect(items['comfyui:gpu 1']).toMatchObject({ status: 'fail', fix: expect.stringContaining('CUDA_VISIBLE_DEVICES=1 python main.py --port') });
  });
});

function startSh(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO, 'start.sh'), ...args], { env: { ...withSmi, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('./start.sh doctor', () => {
  it('prints the list and exits 0 when ready, non-zero on any fail', async () => {
    const [ready, broken] = await Promise.all([startSh(['doctor'], podEnv()), startSh(['doctor'], podEnv({ AI_TOOLKIT_PYTHON: 'python3' }))]);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toMatch(/^ok {4}gpus +2 GPUs: /m);
    expect(ready.stdout).toContain('ready: all');
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/^FAIL {2}ai-toolkit +'python3' cannot import torch/m);
    expect(broken.stdout).toMatch(/^ +fix: install ai-toolkit's requirements/m);
    expect(ready.stdout + broken.stdout).not.toContain('hf_doctortokendoctortoken');
  });
});

describe('system.readiness and isengard doctor', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: 0, env: { TRAINING_BACKEND: 'ai-toolkit', AI_TOOLKIT_DIR: path.join(tempDir('isengard-no-aitk-'), 'missing') } });
  });
  afterAll(async () => stack?.stop());

  it('the tRPC query returns {items} and the CLI prints them, exit 1 on a fail', async () => {
    const { status, body } = await stack.call('system.readiness');
    expect(status).toBe(200);
    const items = (body as { items: ReadinessItem[] }).items;
    expect(items.find((i) => i.id === 'ai-toolkit')).toMatchObject({ status: 'fail', message: expect.stringContaining('run.py missing') });
    expect(items.find((i) => i.id === 'comfyui')).toMatchObject({ status: 'ok' }); // mock image backend
    const cli = await runCli(['doctor', '--url', stack.url]);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(/^FAIL {2}ai-toolkit +no ai-toolkit at /m);
    const json = await runCli(['doctor', '--json', '--url', stack.url]);
    expect((JSON.parse(json.stdout) as { items: ReadinessItem[] }).items.map((i) => i.id)).toEqual(items.map((i) => i.id));
  });
});
