import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { Lora } from '../../shared/characters.js';
import type { JobRecord } from '../../shared/jobs.js';
import type { CharacterStore } from '../../shared/node/character-store.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import { checkpointsOf } from '../../shared/node/training-files.js';
import type { VolumePaths } from '../../shared/node/volume.js';

export class LorasService {
  constructor(private readonly deps: { loras: LoraStore; store: JobStore; characters: CharacterStore; paths: VolumePaths }) {}

  async list(characterId?: string): Promise<Lora[]> {
    const all = await this.deps.loras.list();
    return characterId ? all.filter((l) => l.character_id === characterId) : all;
  }

  get(id: string): Promise<Lora> {
    return this.deps.loras.require(id);
  }

  /**
   * A training checkpoint as a LoRA anyone can generate with at once (the file is hard-linked,
   * not copied). Asking again for the same checkpoint returns the LoRA made the first time.
   */
  async fromCheckpoint(input: { job_id: string; step: number }): Promise<Lora> {
    const { store, loras, characters, paths } = this.deps;
    const job = await store.require(input.job_id);
    if (job.type !== 'training') throw AppError.notFound(`Training job '${input.job_id}' not found`);
    const checkpoint = checkpointsOf(paths, job).find((c) => c.step === input.step);
    if (!checkpoint) {
      const have = checkpointsOf(paths, job).map((c) => c.step).sort((a, b) => a - b);
      throw AppError.notFound(`Job '${job.id}' has no checkpoint at step ${input.step}${have.length ? ` (it has: ${have.join(', ')})` : ''}`);
    }
    const existing = (await loras.list()).find((l) => l.from_checkpoint?.job_id === job.id && l.from_checkpoint.step === input.step);
    if (existing) return existing;
    const character = await characters.get(job.character_id ?? '');
    if (!character) throw new AppError('CONFLICT', `Character '${job.character_id ?? ''}' of job '${job.id}' no longer exists`);
    return loras.register(
      {
        id: `lora-${randomBytes(6).toString('hex')}`,
        character_id: character.id,
        character_name: character.name,
        job_id: job.id,
        trigger_word: character.trigger_word,
        steps: input.step,
        lora_rank: Number(job.config.lora_rank),
        created_at: new Date().toISOString(),
        from_checkpoint: { job_id: job.id, step: input.step },
      },
      checkpoint.file,
    );
  }

  /** Refused while a queued or running generation still needs the file. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    const lora = await this.deps.loras.require(id);
    const generations = (await this.deps.store.active('generation')).filter((j) => j.lora_id === id);
    // An unfinished evaluation grid whose row loads this LoRA (its final row, or a row "Use this"
    // registered), or a live one of this LoRA's training that has not planned its final row yet.
    const awaitsFinal = (j: JobRecord) => !lora.from_checkpoint && j.training_id === lora.job_id && !j.evaluation_rows?.some((r) => r.final);
    const evaluations = (await this.deps.store.active('evaluation')).filter((j) => j.evaluation_rows?.some((r) => r.lora_id === id) || awaitsFinal(j));
    const users = [...generations, ...evaluations];
    if (users.length > 0) {
      throw new AppError('CONFLICT', `LoRA '${id}' is used by ${users.length} unfinished generation or evaluation job(s): ${users.map((j) => j.id).join(', ')}`);
    }
    await this.deps.loras.delete(id);
    return { id, deleted: true };
  }
}
