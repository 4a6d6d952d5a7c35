/** characters.captions.* (bulk caption tools) through createCaller on a private Redis: captions, sources and the .txt files. */
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useCaller } from '../../../tests/helpers/caller.js';
import { pngOf } from '../../../tests/helpers/fixtures.js';
import type { CaptionSource } from '../../shared/characters.js';
import { captionFileName } from '../../shared/node/character-store.js';
import type { UploadPart } from '../services/character-images.service.js';

const h = useCaller();
const c = () => h.caller();
const florence: CaptionSource = { kind: 'model', model: 'microsoft/Florence-2-large', version: 'rev-1' };

async function* files(n: number): AsyncGenerator<UploadPart> {
  for (let i = 0; i < n; i++) yield { filename: `p${i}.png`, stream: Readable.from([await pngOf(320, 400, i + 1)]), truncated: () => false };
}

/** A character whose images carry these captions and sources (as a caption job would leave them). */
async function characterWith(trigger: string, captions: { caption: string; source?: CaptionSource }[]) {
  const character = await c().characters.create({ name: 'Cap', trigger_word: trigger });
  await h.api.services.characterImages.addImages(character.id, files(captions.length));
  const store = h.api.infra.characters;
  const stored = await store.mutate(character.id, async (current) => {
    const images = current.images.map((image, i) => {
      const { caption, source } = captions[i]!;
      return { ...image, caption, ...(source ? { caption_source: source } : {}) };
    });
    for (const image of images) await store.writeCaption(character.id, image.name, image.caption);
    return { ...current, images };
  });
  return { id: character.id, names: stored.images.map((i) => i.name) };
}

const txt = (id: string, image: string) => fs.readFileSync(path.join(h.api.infra.characters.imagesDir(id), captionFileName(image)), 'utf8');

describe('characters.captions.replace', () => {
  it('replaces literal text across one character, marks changed captions as the user’s, rewrites their .txt', async () => {
    const { id, names } = await characterWith('rep_person', [
      { caption: 'rep_person, a woman in a red dress', source: florence },
      { caption: 'Red hat (red)' },
      { caption: 'blue sky', source: florence },
      { caption: '' },
    ]);
    const result = await c().characters.captions.replace({ id, find: 'red', replace: 'green' });
    expect(result.changed).toBe(2);
    expect(result.images).toEqual([names[0], names[1]]);
    expect(result.character.images.map((i) => i.caption)).toEqual(['rep_person, a woman in a green dress', 'green hat (green)', 'blue sky', '']);
    expect(result.character.images.map((i) => i.caption_source)).toEqual([{ kind: 'user' }, { kind: 'user' }, florence, undefined]);
    expect(txt(id, names[0]!)).toBe('rep_person, a woman in a green dress');
    expect(txt(id, names[1]!)).toBe('green hat (green)');
    expect(txt(id, names[2]!)).toBe('blue sky');
    expect((await c().characters.get({ id })).images[0]!.caption).toBe('rep_person, a woman in a green dress');

    const cased = await c().characters.captions.replace({ id, find: 'Green', replace: 'teal', match_case: true });
    expect(cased.changed).toBe(0);
    const whole = await c().characters.captions.replace({ id, find: 'sky', replace: 'sea', whole_word: true });
    expect(whole.character.images[2]).toMatchObject({ caption: 'blue sea', caption_source: { kind: 'user' } });
  });

  it('keeps spaces in find/replace, refuses empty finds and over-long results with the parameter named, changing nothing', async () => {
    const long = 'x '.repeat(900).trim();
    const { id, names } = await characterWith('long_person', [{ caption: 'a, b' }, { caption: long }]);
    const spaced = await c().characters.captions.replace({ id, find: ', ', replace: '; ' });
    expect(spaced.character.images[0]!.caption).toBe('a; b');
    await expect(c().characters.captions.replace({ id, find: '', replace: 'y' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "Parameter 'find' must not be empty" });
    await expect(c().characters.captions.replace({ id, find: 'x', replace: 'y'.repeat(2001) })).rejects.toMatchObject({
      message: "Parameter 'replace' must be at most 2000 characters",
    });
    await expect(c().characters.captions.replace({ id, find: 'x', replace: 'xxx' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: `Parameter 'replace': the caption of image '${names[1]}' would be longer than 2000 characters; nothing was changed`,
    });
    expect(txt(id, names[1]!)).toBe(long);
    expect((await c().characters.get({ id })).images[1]!.caption).toBe(long);
    await expect(c().characters.captions.replace({ id: 'char-000000000000', find: 'a', replace: 'b' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a .txt that cannot be written leaves every caption and file as it was', async () => {
    const { id, names } = await characterWith('roll_person', [{ caption: 'red one' }, { caption: 'red two' }]);
    const blocked = path.join(h.api.infra.characters.imagesDir(id), captionFileName(names[1]!));
    fs.rmSync(blocked);
    fs.mkdirSync(blocked);
    fs.writeFileSync(path.join(blocked, 'keep'), 'x');
    await expect(h.api.services.captions.replace({ id, find: 'red', replace: 'blue' })).rejects.toThrow();
    expect(txt(id, names[0]!)).toBe('red one');
    expect((await c().characters.get({ id })).images.map((i) => i.caption)).toEqual(['red one', 'red two']);
  });
});

describe('characters.captions.trigger', () => {
  it('adds the trigger word where missing (not fooled by longer words), keeps sources, and removes it everywhere', async () => {
    const { id, names } = await characterWith('trg_anna', [
      { caption: 'a woman smiling', source: florence },
      { caption: 'photo of TRG_Anna outdoors' },
      { caption: 'trg_anna2 in a park' },
      { caption: '' },
      { caption: 'trg_anna, portrait', source: { ...florence, accepted: true } },
    ]);
    const added = await c().characters.captions.trigger({ id, action: 'add' });
    expect(added.changed).toBe(4);
    expect(added.character.images.map((i) => i.caption)).toEqual([
      'trg_anna, a woman smiling',
      'photo of trg_anna outdoors',
      'trg_anna, trg_anna2 in a park',
      'trg_anna',
      'trg_anna, portrait',
    ]);
    expect(added.character.images.map((i) => i.caption_source)).toEqual([florence, undefined, undefined, undefined, { ...florence, accepted: true }]);
    expect(txt(id, names[3]!)).toBe('trg_anna');
    expect((await c().characters.captions.trigger({ id, action: 'add' })).changed).toBe(0);

    const removed = await c().characters.captions.trigger({ id, action: 'remove' });
    expect(removed.changed).toBe(5);
    expect(removed.character.images.map((i) => i.caption)).toEqual(['a woman smiling', 'photo of outdoors', 'trg_anna2 in a park', '', 'portrait']);
    expect(txt(id, names[0]!)).toBe('a woman smiling');
    expect(txt(id, names[3]!)).toBe('');
    await expect(c().characters.captions.trigger({ id, action: 'toggle' as 'add' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: "Parameter 'action' must be one of ['add', 'remove']",
    });
  });
});

describe('characters.captions.accept', () => {
  it('accepts listed or all machine captions; user captions stay the user’s; unknown images are 404', async () => {
    const { id, names } = await characterWith('acc_person', [
      { caption: 'one', source: florence },
      { caption: 'two', source: florence },
      { caption: 'three' },
      { caption: 'four', source: { kind: 'model', model: 'mock', version: '1' } },
    ]);
    const one = await c().characters.captions.accept({ id, images: [names[0]!, names[2]!] });
    expect(one.changed).toBe(1);
    expect(one.character.images.map((i) => i.caption_source)).toEqual([{ ...florence, accepted: true }, florence, undefined, { kind: 'model', model: 'mock', version: '1' }]);
    const all = await c().characters.captions.accept({ id, images: 'all_machine' });
    expect(all.images).toEqual([names[1], names[3]]);
    expect(all.character.images.map((i) => i.caption)).toEqual(['one', 'two', 'three', 'four']);
    expect((await c().characters.captions.accept({ id, images: 'all_machine' })).changed).toBe(0);
    await expect(c().characters.captions.accept({ id, images: ['img-000000000000.png'] })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: `Image 'img-000000000000.png' not found in character '${id}'`,
    });
    await expect(c().characters.captions.accept({ id, images: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^Parameter 'images'/) });
    await expect(c().characters.captions.accept({ id, images: ['../x.png'] })).rejects.toMatchObject({ message: "Parameter 'images' is not a valid id" });

    // An edit by hand makes it the user's.
    const edited = await c().characters.setCaption({ id, image: names[1]!, caption: 'two, edited' });
    expect(edited.images[1]!.caption_source).toEqual({ kind: 'user' });
  });

  it('bulk edits racing uploads and single edits lose nothing', async () => {
    const { id, names } = await characterWith('race_person', [{ caption: 'red' }, { caption: 'red' }, { caption: 'red' }]);
    // Whatever order the lock grants them, every edit lands and the .txt files match character.json.
    await Promise.all([
      c().characters.captions.replace({ id, find: 'red', replace: 'blue' }),
      h.api.services.characterImages.addImages(id, files(2)),
      c().characters.setCaption({ id, image: names[1]!, caption: 'typed' }),
      c().characters.captions.trigger({ id, action: 'add' }),
      c().characters.captions.accept({ id, images: 'all_machine' }),
    ]);
    const after = await c().characters.get({ id });
    expect(after.images).toHaveLength(5);
    for (const image of after.images) expect(txt(id, image.name)).toBe(image.caption);
    expect(after.images[0]!.caption).toBe('race_person, blue');
    expect(after.images[1]!.caption).toMatch(/^(race_person, )?typed$/);
    expect(after.images[2]!.caption).toBe('race_person, blue');
    expect(after.images.slice(3).map((i) => i.caption)).toEqual(['race_person', 'race_person']);
  });
});
