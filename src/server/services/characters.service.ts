/** Characters: CRUD, captions, image deletion. Adding images is CharacterImagesService. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { Character } from '../../shared/characters.js';
import { captionFileName, type CharacterStore } from '../../shared/node/character-store.js';
import type { JobStore } from '../../shared/node/job-store.js';

const now = () => new Date().toISOString();

export class CharactersService {
  constructor(private readonly deps: { characters: CharacterStore; store: JobStore }) {}

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

  /** Refused while one of its trainings is queued or running; finished jobs keep their snapshot. */
  async delete(id: string): Promise<{ id: string; deleted: true }> {
    await this.deps.characters.require(id);
    const active = (await this.deps.store.active('training')).filter((j) => j.character_id === id);
    if (active.length > 0) {
      throw new AppError('CONFLICT', `Character '${id}' has ${active.length} training job(s) in progress: ${active.map((j) => j.id).join(', ')}`);
    }
    await this.deps.characters.delete(id);
    return { id, deleted: true };
  }

  setCaption(input: { id: string; image: string; caption: string }): Promise<Character> {
    return this.deps.characters.mutate(input.id, async (character) => {
      if (!character.images.some((i) => i.name === input.image)) {
        throw AppError.notFound(`Image '${input.image}' not found in character '${input.id}'`);
      }
      await this.deps.characters.writeCaption(character.id, input.image, input.caption);
      return {
        ...character,
        images: character.images.map((i) => (i.name === input.image ? { ...i, caption: input.caption } : i)),
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
