/** Characters: CRUD, captions, image deletion. Adding images is CharacterImagesService. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { Character } from '../../shared/characters.js';
import { captionFileName, type CharacterStore } from '../../shared/node/character-store.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { planPurge, type PurgePreview } from '../../shared/node/character-purge.js';
import type { JobRecord } from '../../shared/jobs.js';
import type { CaptionJobConfig } from '../../shared/captions.js';
import type { JobsService } from './jobs.service.js';

const now = () => new Date().toISOString();

export class CharactersService {
  constructor(private readonly deps: { characters: CharacterStore; store: JobStore; loras: LoraStore; paths: VolumePaths; jobs: JobsService }) {}

  list(): Promise<Character[]> {
    return this.deps.characters.list();
  }

  get(id: string): Promise<Character> {
    return this.deps.characters.require(id);
  }

  async create(input: { name: string; trigger_word: string; description?: string }): Promise<Character> {
    const character: Character = {
      id: `char-${randomBytes(6).toString('hex')}`,
      name: input.name,
      trigger_word: input.trigger_word,
      ...(input.description ? { description: input.description } : {}),
      created_at: now(),
      images: [],
    };
    await this.deps.characters.save(character);
    return character;
  }

  update(input: { id: string; name?: string; trigger_word?: string; description?: string }): Promise<Character> {
    return this.deps.characters.mutate(input.id, (current) => ({
      ...current,
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.trigger_word !== undefined ? { trigger_word: input.trigger_word } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      updated_at: now(),
    }));
  }

  /**
   * Refused while a job that reads or writes the person's photos is queued or running (a training
   * copies them, a caption job writes their captions); finished jobs keep their snapshot.
   */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    await this.deps.characters.require(id);
    const [trainings, captions] = await Promise.all([this.deps.store.active('training'), this.deps.store.active('caption')]);
    const active = [...trainings, ...captions].filter((j) => j.character_id === id);
    if (active.length > 0) {
      const kinds = [...new Set(active.map((j) => j.type))].join(' and ');
      throw new AppError('CONFLICT', `Character '${id}' has ${active.length} ${kinds} job(s) in progress: ${active.map((j) => j.id).join(', ')}; cancel them first`);
    }
    await this.deps.characters.delete(id);
    return { id, deleted: true };
  }

  /** What purging this person would delete (counts and bytes); nothing is touched. */
  async purgePreview(id: string): Promise<PurgePreview> {
    await this.deps.characters.require(id);
    return (await planPurge(this.deps, id)).preview;
  }

  /**
   * Starts a purge job for this person and asks their queued and running jobs to stop (logged in
   * the purge job's log); the purge job waits for them before it deletes anything.
   */
  async purge(id: string): Promise<JobRecord> {
    const character = await this.deps.characters.require(id);
    const plan = await planPurge(this.deps, id);
    const job = await this.deps.jobs.create({ type: 'purge', config: {}, character_id: character.id });
    const log = this.deps.jobs.jobLogger(job.id);
    try {
      for (const jobId of plan.preview.active_jobs) {
        try {
          await this.deps.jobs.cancel(jobId);
          log.info(`Cancelled ${jobId} before purging`, 'purge.cancel', { job_id: jobId });
        } catch (err) {
          // Finished in the meantime: nothing left to stop.
          if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
        }
      }
    } finally {
      log.close();
    }
    return job;
  }

  /**
   * Starts a caption job on the GPU queue (docs/contracts.md, Captions). One at a time per character:
   * a second one would only race the first for the same images.
   */
  async caption(input: { id: string } & CaptionJobConfig): Promise<{ job_id: string }> {
    const character = await this.deps.characters.require(input.id);
    const running = (await this.deps.store.active('caption')).find((j) => j.character_id === character.id);
    if (running) throw new AppError('CONFLICT', `Character '${character.id}' already has a caption job in progress: ${running.id}`);
    const config: CaptionJobConfig = { mode: input.mode, style: input.style, trigger: input.trigger };
    const job = await this.deps.jobs.create({ type: 'caption', config: { ...config }, character_id: character.id });
    return { job_id: job.id };
  }

  /** A caption typed or edited by hand: its source becomes `user`, so a `missing` caption job leaves it alone. */
  setCaption(input: { id: string; image: string; caption: string }): Promise<Character> {
    return this.deps.characters.mutate(input.id, async (character) => {
      if (!character.images.some((i) => i.name === input.image)) {
        throw AppError.notFound(`Image '${input.image}' not found in character '${input.id}'`);
      }
      await this.deps.characters.writeCaption(character.id, input.image, input.caption);
      return {
        ...character,
        images: character.images.map((i) => (i.name === input.image ? { ...i, caption: input.caption, caption_source: { kind: 'user' as const } } : i)),
        updated_at: now(),
      };
    });
  }

  async deleteImage(input: { id: string; image: string }): Promise<Character> {
    const next = await this.deps.characters.mutate(input.id, (character) => {
      if (!character.images.some((i) => i.name === input.image)) {
        throw AppError.notFound(`Image '${input.image}' not found in character '${input.id}'`);
      }
      return { ...character, images: character.images.filter((i) => i.name !== input.image), updated_at: now() };
    });
    const dir = this.deps.characters.imagesDir(input.id);
    await fs.rm(path.join(dir, input.image), { force: true });
    await fs.rm(path.join(dir, captionFileName(input.image)), { force: true });
    return next;
  }
}
