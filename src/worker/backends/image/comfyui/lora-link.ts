/**
 * Makes an Isengard LoRA visible to ComfyUI, which only loads files under its own models/loras.
 * A hard link costs no space and no time; across filesystems (volume vs. container disk) it falls
 * back to a copy. The file appears under its final name only via rename, so ComfyUI (or another
 * worker doing the same) never sees a half-written LoRA.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NonRetryableError } from '../../types.js';

const LORA_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Returns the name to put in `lora_name`: relative to models/loras, with forward slashes. */
export async function linkLora(lora: { id: string; path: string }, comfyuiDir: string): Promise<{ name: string; method: 'existing' | 'link' | 'copy' }> {
  if (!LORA_ID.test(lora.id)) throw new NonRetryableError(`Invalid LoRA id '${lora.id}'`);
  const name = `isengard/${lora.id}.safetensors`;
  const dir = path.join(comfyuiDir, 'models', 'loras', 'isengard');
  const target = path.join(dir, `${lora.id}.safetensors`);

  let src;
  try {
    src = await fs.stat(lora.path);
  } catch {
    throw new NonRetryableError(`LoRA file ${lora.path} is missing`);
  }
  const existing = await fs.stat(target).catch(() => null);
  // A LoRA file never changes after training, so same inode or same size means already in place.
  if (existing && ((existing.ino === src.ino && existing.dev === src.dev) || existing.size === src.size)) {
    return { name, method: 'existing' };
  }

  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    throw new NonRetryableError(`Cannot create ${dir} for LoRAs: ${(err as Error).message}`);
  }
  const tmp = path.join(dir, `.${lora.id}.${randomUUID().slice(0, 8)}.tmp`);
  let method: 'link' | 'copy' = 'link';
  try {
    await fs.link(lora.path, tmp);
  } catch {
    method = 'copy';
    await fs.copyFile(lora.path, tmp);
  }
  try {
    await fs.rename(tmp, target);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return { name, method };
}
