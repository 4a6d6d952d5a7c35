/** LoRAs on the shared volume: `loras/{id}.safetensors` + `loras/{id}.json`. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Lora } from '../characters.js';
import { listDir, readJson, writeFileAtomic } from './atomic-write.js';
import { linkOrCopyRegular } from './safe-path.js';
import { safeSegment, type VolumePaths } from './volume.js';

export class LoraStore {
  constructor(private readonly paths: VolumePaths) {}

  filePath(id: string): string {
    return path.join(this.paths.lorasDir, `${safeSegment('lora_id', id)}.safetensors`);
  }
  private metaPath(id: string): string {
    return path.join(this.paths.lorasDir, `${safeSegment('lora_id', id)}.json`);
  }

  async get(id: string): Promise<Lora | null> {
    return readJson<Lora>(this.metaPath(id));
  }

  async require(id: string): Promise<Lora> {
    const lora = await this.get(id);
    if (!lora) throw AppError.notFound(`LoRA '${id}' not found`);
    return lora;
  }

  async list(): Promise<Lora[]> {
    const entries = await listDir(this.paths.lorasDir);
    const metas = await Promise.all(
      entries.filter((e) => e.endsWith('.json')).map((e) => readJson<Lora>(path.join(this.paths.lorasDir, e)).catch(() => null)),
    );
    return metas.filter((m): m is Lora => m !== null).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** Moves (or copies across devices) the trained file in, then writes the metadata last. */
  async register(lora: Lora, sourceFile: string): Promise<Lora> {
    const dest = this.filePath(lora.id);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    // Via a temporary name so a half-copied file is never seen under the LoRA's id; the source is a
    // trainer's or a job's output, so a symlink there is refused rather than followed.
    const tmp = `${dest}.${process.pid}.tmp`;
    await fs.rm(tmp, { force: true });
    await linkOrCopyRegular(sourceFile, tmp);
    await fs.rename(tmp, dest);
    const size = (await fs.stat(dest)).size;
    const stored = { ...lora, size };
    await writeFileAtomic(this.metaPath(lora.id), JSON.stringify(stored, null, 2));
    return stored;
  }

  async delete(id: string): Promise<void> {
    await fs.rm(this.metaPath(id), { force: true });
    await fs.rm(this.filePath(id), { force: true });
  }
}
