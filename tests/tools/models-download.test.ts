/**
 * `./start.sh models` against a local file server: checksums, resume with Range, 404, gated files,
 * disk space, and that a failure leaves every other file alone.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadModelsManifest, type ModelEntry } from '../../src/shared/node/models-manifest.js';
import { fetchModels } from '../../src/tools/models/fetch-models.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/fake-model-server.js';
import { REPO } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const UNET = randomBytes(300_000);
const VAE = randomBytes(50_000);
const TOKEN = 'hf_secretSECRETsecret123456';

let server: FakeModelServer;
beforeAll(async () => {
  server = await startFakeModelServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.files.clear();
  server.requests.length = 0;
  server.stallAfter.clear();
  server.ignoreRange = false;
  server.files.set('/bfl/flux1-dev.safetensors', { body: UNET, token: TOKEN });
  server.files.set('/other/ae.safetensors', { body: VAE });
});

function entry(over: Partial<ModelEntry> & Pick<ModelEntry, 'name'>): ModelEntry {
  return { folder: 'vae', also_in: [], url: '', sha256: null, size: null, gated: false, ...over };
}
const unetEntry = (over: Partial<ModelEntry> = {}) =>
  entry({ name: 'flux1-dev.safetensors', folder: 'diffusion_models', also_in: ['unet'], url: `${server.url}/bfl/flux1-dev.safetensors`, sha256: sha(UNET), size: UNET.length, gated: true, licence_url: 'https://huggingface.co/black-forest-labs/FLUX.1-dev', ...over });
const vaeEntry = (over: Partial<ModelEntry> = {}) => entry({ name: 'ae.safetensors', url: `${server.url}/other/ae.safetensors`, sha256: sha(VAE), size: VAE.length, ...over });

function manifest(models: ModelEntry[]): string {
  const file = path.join(tempDir('isengard-models-list-'), 'models.json');
  fs.writeFileSync(file, JSON.stringify({ models }));
  return file;
}

async function run(models: ModelEntry[], opts: { comfyuiDir?: string; hfToken?: string; idleTimeoutMs?: number } = {}) {
  const comfyuiDir = opts.comfyuiDir ?? tempDir('isengard-comfyui-');
  let output = '';
  const summary = await fetchModels({ comfyuiDir, manifestPath: manifest(models), hfToken: opts.hfToken, write: (t) => (output += t), idleTimeoutMs: opts.idleTimeoutMs });
  return { summary, output, comfyuiDir };
}
const file = (dir: string, ...p: string[]) => path.join(dir, 'models', ...p);
const listing = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

describe('models downloader', () => {
  it('fetches missing files into their ComfyUI folders with sha256 checked, progress shown, token sent only for gated files and never printed', async () => {
    const { summary, output, comfyuiDir } = await run([unetEntry(), vaeEntry()], { hfToken: TOKEN });
    expect(summary.failed).toEqual([]);
    expect(summary.downloaded).toEqual(['flux1-dev.safetensors', 'ae.safetensors']);
    expect(fs.readFileSync(file(comfyuiDir, 'diffusion_models', 'flux1-dev.safetensors')).equals(UNET)).toBe(true);
    expect(fs.readFileSync(file(comfyuiDir, 'vae', 'ae.safetensors')).equals(VAE)).toBe(true);
    expect(listing(file(comfyuiDir, 'diffusion_models'))).toEqual(['flux1-dev.safetensors']); // no .part left
    expect(output).toMatch(/flux1-dev\.safetensors: 100\.0% 300\.0 kB of 300\.0 kB/);
    expect(output).toContain('ok: flux1-dev.safetensors (sha256 verified)');
    expect(server.requests.find((r) => r.path.startsWith('/bfl'))?.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.requests.find((r) => r.path.startsWith('/other'))?.authorization).toBeUndefined();
    expect(output).not.toContain(TOKEN);
  });

  it('a file already in a folder ComfyUI searches (models/unet) is not downloaded again', async () => {
    const comfyuiDir = tempDir('isengard-comfyui-');
    fs.mkdirSync(file(comfyuiDir, 'unet'), { recursive: true });
    fs.writeFileSync(file(comfyuiDir, 'unet', 'flux1-dev.safetensors'), 'mine');
    const { summary, output } = await run([unetEntry()], { comfyuiDir });
    expect(summary).toMatchObject({ present: ['flux1-dev.safetensors'], downloaded: [], failed: [] });
    expect(output).toContain('present: models/unet/flux1-dev.safetensors');
    expect(server.requests).toEqual([]);
    expect(fs.readFileSync(file(comfyuiDir, 'unet', 'flux1-dev.safetensors'), 'utf8')).toBe('mine');
  });

  it('a download that stalls is dropped, keeps its .part, and the next run continues it with a Range request', async () => {
    server.stallAfter.set('/other/ae.safetensors', 20_000);
    const first = await run([vaeEntry()], { idleTimeoutMs: 3000 });
    expect(first.summary.failed[0]!.message).toBe('download of ae.safetensors was interrupted after 20.0 kB (no data for 3 s); run ./start.sh models again to continue it');
    const part = file(first.comfyuiDir, 'vae', 'ae.safetensors.part');
    expect(fs.statSync(part).size).toBe(20_000);
    expect(fs.existsSync(file(first.comfyuiDir, 'vae', 'ae.safetensors'))).toBe(false);

    const second = await run([vaeEntry()], { comfyuiDir: first.comfyuiDir });
    expect(second.summary.failed).toEqual([]);
    expect(server.requests.at(-1)!.range).toBe('bytes=20000-');
    expect(second.output).toContain('continuing after 20.0 kB');
    expect(fs.readFileSync(file(first.comfyuiDir, 'vae', 'ae.safetensors')).equals(VAE)).toBe(true);
    expect(listing(file(first.comfyuiDir, 'vae'))).toEqual(['ae.safetensors']);
  });

  it('a server that ignores Range restarts the file from zero and still verifies it', async () => {
    const comfyuiDir = tempDir('isengard-comfyui-');
    fs.mkdirSync(file(comfyuiDir, 'vae'), { recursive: true });
    fs.writeFileSync(file(comfyuiDir, 'vae', 'ae.safetensors.part'), VAE.subarray(0, 1000));
    server.ignoreRange = true;
    const { summary, output } = await run([vaeEntry()], { comfyuiDir });
    expect(summary.failed).toEqual([]);
    expect(output).toContain('does not continue partial downloads; starting over');
    expect(fs.readFileSync(file(comfyuiDir, 'vae', 'ae.safetensors')).equals(VAE)).toBe(true);
  });

  it('a 404 says so, removes the partial file and leaves the other files alone', async () => {
    const comfyuiDir = tempDir('isengard-comfyui-');
    fs.mkdirSync(file(comfyuiDir, 'vae'), { recursive: true });
    fs.writeFileSync(file(comfyuiDir, 'vae', 'other.safetensors'), 'keep me');
    fs.writeFileSync(file(comfyuiDir, 'vae', 'ae.safetensors.part'), 'stale');
    const { summary, output } = await run([vaeEntry({ url: `${server.url}/gone/ae.safetensors` }), unetEntry()], { comfyuiDir, hfToken: TOKEN });
    expect(summary.failed).toEqual([{ name: 'ae.safetensors', message: expect.stringContaining(`${server.url}/gone/ae.safetensors answered 404`) }]);
    expect(summary.downloaded).toEqual(['flux1-dev.safetensors']);
    expect(output).toContain('FAILED: ');
    expect(listing(file(comfyuiDir, 'vae'))).toEqual(['other.safetensors']);
    expect(fs.readFileSync(file(comfyuiDir, 'vae', 'other.safetensors'), 'utf8')).toBe('keep me');
  });

  it('a checksum mismatch deletes the download and names both sums', async () => {
    const want = 'ab'.repeat(32);
    const { summary, comfyuiDir } = await run([vaeEntry({ sha256: want })]);
    expect(summary.failed[0]!.message).toBe(`ae.safetensors checksum mismatch (got ${sha(VAE)}, want ${want}); the file was removed`);
    expect(listing(file(comfyuiDir, 'vae'))).toEqual([]);
  });

  it('a size that does not match the list deletes the download', async () => {
    const { summary, comfyuiDir } = await run([vaeEntry({ size: VAE.length - 10, sha256: null })]);
    expect(summary.failed[0]!.message).toContain(`ae.safetensors is ${VAE.length} bytes, the models list says ${VAE.length - 10}`);
    expect(listing(file(comfyuiDir, 'vae'))).toEqual([]);
  });

  it('no known sha256: size checked, file kept, warning printed', async () => {
    const { summary, output } = await run([vaeEntry({ sha256: null })]);
    expect(summary.failed).toEqual([]);
    expect(summary.warnings).toEqual([expect.stringContaining('no sha256 is known for it, only its size was checked')]);
    expect(output).toContain('WARNING: ae.safetensors: no sha256 is known');
  });

  it('a gated file without HF_TOKEN fails with the fix and makes no request; the ungated ones still come', async () => {
    const { summary, comfyuiDir } = await run([unetEntry(), vaeEntry()]);
    expect(summary.failed).toEqual([
      {
        name: 'flux1-dev.safetensors',
        message: 'flux1-dev.safetensors is gated on Hugging Face: set HF_TOKEN to a read token, accept the licence at https://huggingface.co/black-forest-labs/FLUX.1-dev, then run ./start.sh models again',
      },
    ]);
    expect(server.requests.map((r) => r.path)).toEqual(['/other/ae.safetensors']);
    expect(listing(file(comfyuiDir, 'diffusion_models'))).toEqual([]);
  });

  it('a wrong HF_TOKEN (401) names the token and the licence, without printing it', async () => {
    const { summary, output } = await run([unetEntry()], { hfToken: 'hf_wrongwrongwrong' });
    expect(summary.failed[0]!.message).toContain('answered 401: check that HF_TOKEN is a valid read token and that its account accepted the licence');
    expect(output).not.toContain('hf_wrongwrongwrong');
  });

  it('not enough free space: nothing is downloaded and the message gives both numbers', async () => {
    const { summary, output, comfyuiDir } = await run([vaeEntry({ size: 10 ** 15 })]);
    expect(summary.failed[0]!.message).toMatch(/^not enough disk space in .*: the 1 missing files need 1000000\.00 GB, [\d.]+ [kMG]?B free; nothing was downloaded$/);
    expect(output).toContain('FAILED: not enough disk space');
    expect(server.requests).toEqual([]);
    expect(listing(file(comfyuiDir, 'vae'))).toEqual([]);
  });
});

describe("the repo's models list", () => {
  const KIND: Record<string, [string, string]> = {
    UNETLoader: ['unet_name', 'diffusion_models'],
    DualCLIPLoader: ['clip_name1', 'text_encoders'],
    VAELoader: ['vae_name', 'vae'],
    UpscaleModelLoader: ['model_name', 'upscale_models'],
  };
  it('lists every model file the workflows load, in the folder ComfyUI loads that kind from, with sha256 and size', () => {
    const { models } = loadModelsManifest();
    const byName = new Map(models.map((m) => [m.name, m]));
    const wanted = new Map<string, string>();
    const dir = path.join(REPO, 'workflows');
    for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('flux-'))) {
      const graph = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
      for (const node of Object.values(graph)) {
        const kind = KIND[node.class_type];
        if (!kind) continue;
        wanted.set(String(node.inputs[kind[0]]), kind[1]);
        if (node.class_type === 'DualCLIPLoader') wanted.set(String(node.inputs.clip_name2), kind[1]);
      }
    }
    expect([...wanted.keys()].sort()).toEqual([...byName.keys()].sort());
    for (const [name, folder] of wanted) {
      expect(byName.get(name)!.folder).toBe(folder);
      expect(byName.get(name)!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(byName.get(name)!.size).toBeGreaterThan(0);
    }
    expect(byName.get('flux1-dev.safetensors')!.gated).toBe(true);
  });
});

function startSh(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO, 'start.sh'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('./start.sh models', () => {
  it('ISENGARD_MODELS_MANIFEST selects the list; a bad checksum exits 1 naming both sums and leaves no file', async () => {
    const comfy = tempDir('isengard-comfydir-');
    const want = '49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb';
    const list = manifest([entry({ name: 'RealESRGAN_x2plus.pth', folder: 'upscale_models', url: `${server.url}/other/ae.safetensors`, sha256: want, size: VAE.length })]);
    const { code, output } = await startSh(['models'], { COMFYUI_DIR: comfy, ISENGARD_MODELS_MANIFEST: list });
    expect(code).toBe(1);
    expect(output).toContain(`RealESRGAN_x2plus.pth checksum mismatch (got ${sha(VAE)}, want ${want})`);
    expect(listing(file(comfy, 'upscale_models'))).toEqual([]);
  });

  it('exits 0 and downloads nothing when every file is present', async () => {
    const comfy = tempDir('isengard-comfydir-');
    fs.mkdirSync(file(comfy, 'vae'), { recursive: true });
    fs.writeFileSync(file(comfy, 'vae', 'ae.safetensors'), 'present');
    const { code, output } = await startSh(['models'], { COMFYUI_DIR: comfy, ISENGARD_MODELS_MANIFEST: manifest([vaeEntry()]) });
    expect(code).toBe(0);
    expect(output).toContain('all 1 model files');
    expect(fs.readFileSync(file(comfy, 'vae', 'ae.safetensors'), 'utf8')).toBe('present');
  });
});
