/** characters.* and training.* through createCaller on a private Redis, images added through the service: no HTTP. */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useCaller } from '../../../tests/helpers/caller.js';
import { pngOf } from '../../../tests/helpers/fixtures.js';
import type { UploadPart } from '../services/character-images.service.js';

const h = useCaller();
const c = () => h.caller();

async function* files(...items: { name: string; data: Buffer }[]): AsyncGenerator<UploadPart> {
  for (const item of items) yield { filename: item.name, stream: Readable.from([item.data]), truncated: () => false };
}

async function characterWithImages(trigger: string, n: number) {
  const character = await c().characters.create({ name: 'Ada', trigger_word: trigger });
  const images = await Promise.all(Array.from({ length: n }, async (_, i) => ({ name: `p${i}.png`, data: await pngOf(320, 400, i + 1) })));
  const result = await h.api.services.characterImages.addImages(character.id, files(...images));
  expect(result.uploaded).toHaveLength(n);
  return character;
}

describe('characters', () => {
  it('create, get, update and list; bad input names the parameter', async () => {
    const created = await c().characters.create({ name: '  Ada Lovelace ', trigger_word: 'ada_l' });
    expect(created).toMatchObject({ name: 'Ada Lovelace', trigger_word: 'ada_l', images: [] });
    const updated = await c().characters.update({ id: created.id, description: 'mathematician' });
    expect((await c().characters.get({ id: created.id })).description).toBe(updated.description);
    expect((await c().characters.list()).map((x) => x.id)).toContain(created.id);
    await expect(c().characters.create({ name: 'X', trigger_word: '9bad' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^Parameter 'trigger_word'/),
    });
    await expect(c().characters.get({ id: 'char-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: "Character 'char-000000000000' not found" });
  });

  it('images added through the service are stored under generated names with captions; rejects are listed; captions are editable', async () => {
    const character = await c().characters.create({ name: 'Imgs', trigger_word: 'imgs_person' });
    const result = await h.api.services.characterImages.addImages(
      character.id,
      files({ name: 'ok.png', data: await pngOf(320, 400) }, { name: '../../evil.png', data: Buffer.from('not an image') }),
    );
    expect(result.uploaded).toEqual([{ name: expect.stringMatching(/^img-[0-9a-f]{12}\.png$/), width: 320, height: 400, caption: 'imgs_person', filename: 'ok.png' }]);
    expect(result.rejected).toEqual([{ filename: '../../evil.png', reason: 'Not a JPEG, PNG or WebP image' }]);
    const image = result.uploaded[0]!.name;
    const stored = await c().characters.setCaption({ id: character.id, image, caption: 'imgs_person smiling' });
    expect(stored.images).toEqual([{ name: image, width: 320, height: 400, caption: 'imgs_person smiling', caption_source: { kind: 'user' } }]);
    const dir = h.api.infra.characters.imagesDir(character.id);
    expect(fs.readFileSync(path.join(dir, image.replace('.png', '.txt')), 'utf8')).toBe('imgs_person smiling');
    expect(fs.readdirSync(dir).sort()).toEqual([image, image.replace('.png', '.txt')].sort());
    await expect(c().characters.setCaption({ id: character.id, image: 'img-000000000000.png', caption: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a request whose files cannot be read to the end keeps nothing, not even its complete first image', async () => {
    const character = await c().characters.create({ name: 'Broken', trigger_word: 'broken_person' });
    const good = await pngOf(320, 400);
    async function* broken(): AsyncGenerator<UploadPart> {
      yield* files({ name: 'first.png', data: good });
      const { MalformedUploadError } = await import('../services/character-images.service.js');
      throw new MalformedUploadError('is not a valid multipart body: Unexpected end of form');
    }
    await expect(h.api.services.characterImages.addImages(character.id, broken())).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: "Parameter 'images' is not a valid multipart body: Unexpected end of form",
    });
    expect((await c().characters.get({ id: character.id })).images).toEqual([]);
    const dir = h.api.infra.characters.imagesDir(character.id);
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
  });

  it('a character with a training in progress cannot be deleted (409); afterwards it can', async () => {
    const character = await characterWithImages('busy_person', 1);
    const job = await c().training.start({ character_id: character.id, config: { steps: 100 } });
    await expect(c().characters.delete({ id: character.id })).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringContaining(job.id) });
    await c().training.cancel({ id: job.id });
    await expect(c().characters.delete({ id: character.id })).resolves.toEqual({ id: character.id, deleted: true });
  });

  it('a character with a caption job in progress cannot be deleted either (the job writes its captions)', async () => {
    const character = await characterWithImages('captioned_person', 1);
    const { job_id } = await c().characters.caption({ id: character.id, mode: 'missing', style: 'short', trigger: 'prefix' });
    await expect(c().characters.delete({ id: character.id })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `Character '${character.id}' has 1 caption job(s) in progress: ${job_id}; cancel them first`,
    });
    await c().jobs.cancel({ id: job_id });
    await expect(c().characters.delete({ id: character.id })).resolves.toEqual({ id: character.id, deleted: true });
  });
});

describe('training', () => {
  it('start snapshots the dataset, so later edits do not change the job', async () => {
    const character = await characterWithImages('snap_person', 2);
    const job = await c().training.start({ character_id: character.id, config: { steps: 100 } });
    expect(job).toMatchObject({ type: 'training', status: 'queued', character_id: character.id });
    const dataset = path.join(h.api.infra.paths.trainingDir(job.id), 'dataset');
    const before = fs.readdirSync(dataset).sort();
    expect(before.filter((f) => f.endsWith('.png'))).toHaveLength(2);
    const image = (await c().characters.get({ id: character.id })).images[0]!.name;
    await c().characters.deleteImage({ id: character.id, image });
    expect(fs.readdirSync(dataset).sort()).toEqual(before);
    expect((await c().training.get({ id: job.id })).id).toBe(job.id);
    await expect(c().generation.get({ id: job.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses a character without images, an unknown character, and values outside the manifest', async () => {
    const empty = await c().characters.create({ name: 'Empty', trigger_word: 'empty_person' });
    await expect(c().training.start({ character_id: empty.id, config: {} })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Character '${empty.id}' has no images; upload at least one before training`,
    });
    await expect(c().training.start({ character_id: 'char-000000000000', config: {} })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const err = await c().training.start({ character_id: empty.id, config: { steps: 1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    expect((err as Error).message).toMatch(/^Parameter 'steps' below minimum/);
  });
});
