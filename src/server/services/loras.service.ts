import { AppError } from '../../shared/errors.js';
import type { Lora } from '../../shared/characters.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';

export class LorasService {
  constructor(private readonly deps: { loras: LoraStore; store: JobStore }) {}

  async list(characterId?: string): Promise<Lora[]> {
    const all = await this.deps.loras.list();
    return characterId ? all.filter((l) => l.character_id === characterId) : all;
  }

  get(id: string): Promise<Lora> {
    return this.deps.loras.require(id);
  }

  /** Refused while a queued or running generation still needs the file. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    await this.deps.loras.require(id);
    const users = (await this.deps.store.active('generation')).filter((j) => j.lora_id === id);
    if (users.length > 0) {
      throw new AppError('CONFLICT', `LoRA '${id}' is used by ${users.length} unfinished generation job(s): ${users.map((j) => j.id).join(', ')}`);
    }
    await this.deps.loras.delete(id);
    return { id, deleted: true };
  }
}
