/**
 * Captions on the Characters page in a real browser against a real stack: source badges, accepting
 * a machine caption, find & replace with its live count, adding and removing the trigger word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './browser-harness.js';
import { characterWithImages } from '../helpers/fixtures.js';
import type { CaptionSource, Character } from '../../src/shared/characters.js';

let h: Harness;
let id = '';
const florence: CaptionSource = { kind: 'model', model: 'microsoft/Florence-2-large', version: 'rev-1' };
const captions = async () => (await h.stack.call<Character>('characters.get', { id })).body.images;

beforeAll(async () => {
  h = await startHarness();
  id = await characterWithImages(h.stack, 3, 'ohwx_cap');
  // As a caption job leaves them: two machine captions, one of the user's.
  const store = h.stack.api.services.characterStore;
  await store.mutate(id, async (c) => {
    const text = ['a woman in a red dress, smiling', 'ohwx_cap, red hat, outdoors', 'my own red words'];
    const images = c.images.map((image, i) => ({ ...image, caption: text[i]!, ...(i < 2 ? { caption_source: florence } : {}) }));
    for (const image of images) await store.writeCaption(id, image.name, image.caption);
    return { ...c, images };
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('caption tools', () => {
  it('shows sources, accepts a machine caption, replaces with a live count, adds and removes the trigger word', async () => {
    const { page } = h;
    await page.goto(`/characters?id=${id}`);
    const cards = page.locator('.image-card');
    await expect.poll(() => cards.count()).toBe(3);
    expect(await cards.nth(0).locator('.caption-source').textContent()).toBe('Florence-2-large (unreviewed)');
    expect(await cards.nth(2).locator('.caption-source').textContent()).toBe('You');
    expect(await cards.nth(2).getByRole('button', { name: 'Accept caption' }).count()).toBe(0);

    await cards.nth(0).getByRole('button', { name: 'Accept caption' }).click();
    await expect.poll(() => cards.nth(0).locator('.caption-source').textContent()).toBe('Florence-2-large ✓');
    expect((await captions())[0]!.caption_source).toEqual({ ...florence, accepted: true });

    const tools = page.getByRole('region', { name: 'Caption tools' });
    await tools.getByLabel('Find').fill('Red');
    await tools.getByText('3 captions will change').waitFor();
    await tools.getByLabel('Match case').check();
    await tools.getByText('0 captions will change').waitFor();
    expect(await tools.getByRole('button', { name: 'Replace all' }).isDisabled()).toBe(true);
    await tools.getByLabel('Match case').uncheck();
    await tools.getByLabel('Replace with').fill('blue');
    await tools.getByRole('button', { name: 'Replace all' }).click();
    await tools.getByText('Replaced: 3 captions changed').waitFor();
    await expect.poll(async () => (await captions()).map((i) => i.caption)).toEqual(['a woman in a blue dress, smiling', 'ohwx_cap, blue hat, outdoors', 'my own blue words']);
    await expect.poll(() => cards.nth(1).getByLabel('Caption').inputValue()).toBe('ohwx_cap, blue hat, outdoors');
    expect(await cards.nth(1).locator('.caption-source').textContent()).toBe('You');

    await tools.getByRole('button', { name: 'Add trigger word' }).click();
    await tools.getByText('Trigger word added: 2 captions changed').waitFor();
    await expect.poll(() => cards.nth(0).getByLabel('Caption').inputValue()).toBe('ohwx_cap, a woman in a blue dress, smiling');
    await h.shoot('captions');
    await tools.getByRole('button', { name: 'Remove trigger word' }).click();
    await tools.getByText('Trigger word removed: 3 captions changed').waitFor();
    expect((await captions()).map((i) => i.caption)).toEqual(['a woman in a blue dress, smiling', 'blue hat, outdoors', 'my own blue words']);
    expect(await tools.getByRole('button', { name: 'Remove trigger word' }).isDisabled()).toBe(true);
    expect(h.pageErrors).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  }, 60_000);
});
