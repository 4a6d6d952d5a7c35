import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { linkLora } from './lora-link.js';

let root: string;
let src: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lora-link-'));
  src = path.join(root, 'volume', 'loras', 'lora-abc123.safetensors');
  fs.mkdirSync(path.dirname(src), { recursive: true });
  fs.writeFileSync(src, 'weights');
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('linkLora', () => {
  it('hard-links under models/loras/isengard and returns the relative name; idempotent', async () => {
    const comfy = path.join(root, 'comfyui');
    expect(await linkLora({ id: 'lora-abc123', path: src }, comfy)).toEqual({ name: 'isengard/lora-abc123.safetensors', method: 'link' });
    const target = path.join(comfy, 'models', 'loras', 'isengard', 'lora-abc123.safetensors');
    expect(fs.statSync(target).ino).toBe(fs.statSync(src).ino);
    expect(await linkLora({ id: 'lora-abc123', path: src }, comfy)).toEqual({ name: 'isengard/lora-abc123.safetensors', method: 'existing' });
    expect(fs.readdirSync(path.dirname(target))).toEqual(['lora-abc123.safetensors']); // no temp files left
  });

  it('falls back to a copy when a hard link is impossible (another filesystem)', async () => {
    vi.spyOn(fsp, 'link').mockRejectedValue(Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' }));
    const comfy = path.join(root, 'comfyui');
    expect((await linkLora({ id: 'lora-abc123', path: src }, comfy)).method).toBe('copy');
    expect(fs.readFileSync(path.join(comfy, 'models', 'loras', 'isengard', 'lora-abc123.safetensors'), 'utf8')).toBe('weights');
  });

  it('refuses unsafe ids and missing files', async () => {
    await expect(linkLora({ id: '../x', path: src }, root)).rejects.toThrow("Invalid LoRA id '../x'");
    await expect(linkLora({ id: 'lora-x', path: path.join(root, 'nope') }, root)).rejects.toThrow(/LoRA file .*nope is missing/);
  });
});
