/** start.sh's model download: a bad checksum deletes the file and fails loudly. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(REPO, 'start.sh'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('start.sh models', () => {
  it('a download with the wrong sha256 is deleted and the script fails naming both sums', async () => {
    const server = http.createServer((_req, res) => res.end('definitely not RealESRGAN weights'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const comfy = tempDir('isengard-comfydir-');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/RealESRGAN_x2plus.pth`;
      const { code, output } = await run(['models'], { COMFYUI_DIR: comfy, ISENGARD_UPSCALE_URL: url });
      expect(code).toBe(1);
      expect(output).toContain('RealESRGAN_x2plus.pth checksum mismatch');
      expect(output).toContain('49fafd45f8fd7aa8d31ab2a22d14d91b536c34494a5cfe31eb5d89c2fa266abb');
      expect(fs.readdirSync(path.join(comfy, 'models', 'upscale_models'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('an existing model file is left alone (no download)', async () => {
    const comfy = tempDir('isengard-comfydir-');
    const dir = path.join(comfy, 'models', 'upscale_models');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'RealESRGAN_x2plus.pth'), 'present');
    const { code } = await run(['models'], { COMFYUI_DIR: comfy, ISENGARD_UPSCALE_URL: 'http://127.0.0.1:1/never' });
    expect(code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'RealESRGAN_x2plus.pth'), 'utf8')).toBe('present');
  });
});
