import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { JobRecord } from '../../shared/jobs.js';
import type { CharacterStore } from '../../shared/node/character-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { JobsService } from './jobs.service.js';

export class TrainingService {
  constructor(
    private readonly deps: { jobs: JobsService; characters: CharacterStore; paths: VolumePaths },
  ) {}

  /** Snapshots the dataset first, so later caption or image edits don't change this job. */
  async start(input: { character_id: string; config: Record<string, unknown> }): Promise<JobRecord> {
    const character = await this.deps.characters.require(input.character_id);
    if (character.images.length === 0) {
      throw AppError.badParam('character_id', `Character '${character.id}' has no images; upload at least one before training`);
    }
    const id = JobsService.newId('training');
    try {
      await this.deps.characters.snapshotDataset(character, path.join(this.deps.paths.trainingDir(id), 'dataset'));
    } catch (err) {
      await fs.rm(this.deps.paths.trainingDir(id), { recursive: true, force: true }); // no half snapshot left behind
      throw err;
    }
    return this.deps.jobs.create({ id, type: 'training', config: input.config, character_id: character.id });
  }
}
