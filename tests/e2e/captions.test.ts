/**
 * Captions on the Characters page in a real browser against a real stack (one worker, the mock
 * captioner at MOCK_STEP_MS per image): a caption job filling captions in live, editing one, the
 * confirmation before "Caption all", cancel; source badges, accepting a machine caption, find &
 * replace with its live count, adding and removing the trigger word.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './browser-harness.js';
import { characterWithImages } from '../helpers/fixtures.js';
import type { CaptionSource, Character } from '../../src/shared/characters.js';
import type { JobRecord } from '../../src/shared/jobs.js';

let h: Harness;
let id = '';
const florence: CaptionSource = { kind: 'model', model: 'microsoft/Florence-2-large', version: 'rev-1' };
const captions = async () => (await h.stack.call<Character>('characters.get', { id })).body.images;

beforeAll(async () => {
  h = await startHarness({ MOCK_STEP_MS: '1000' });
  id = await characterWithImages(h.stack, 3, 'ohwx_cap');
  // As a caption job leaves them: two machine captions, one of the user's.
  const store = h.stack.api.infra.characters;
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

describe('caption jobs', () => {
  it('"Caption missing" fills captions in live; an edited one becomes yours; "Caption all" asks first; Cancel stops a job', async () => {
    const { page } = h;
    const live = await characterWithImages(h.stack, 4, 'ohwx_live');
    await page.goto(`/characters?id=${live}`);
    const panel = page.getByRole('region', { name: 'Automatic captions' });
    // The options come from the captioning manifest in /api/info.
    expect(await panel.getByLabel('Style').inputValue()).toBe('short');
    expect(await panel.getByLabel('Trigger').inputValue()).toBe('prefix');
    await panel.getByText('4 of 4 images without a caption').waitFor();
    const cards = page.locator('.image-card');
    const unreviewed = cards.locator('.caption-source', { hasText: 'mock-captioner (unreviewed)' });

    await panel.getByRole('button', { name: 'Caption missing' }).click();
    const bar = panel.getByRole('progressbar', { name: 'Caption progress' });
    await bar.waitFor();
    // Live: a caption shows on its card while the job is still running.
    await expect
      .poll(async () => (await unreviewed.count()) >= 1 && (await panel.locator('.badge.status-running').count()) === 1, { timeout: 20_000 })
      .toBe(true);
    await panel.locator('.badge.status-completed').waitFor({ timeout: 20_000 });
    await expect.poll(() => unreviewed.count()).toBe(4);
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    const first = await cards.nth(0).getByLabel('Caption').inputValue();
    expect(first).toMatch(/^ohwx_live, a (portrait|landscape|square) photo/);
    expect((await h.stack.call<Character>('characters.get', { id: live })).body.images[0]!.caption).toBe(first);

    // Edit one by hand: it becomes the user's.
    await cards.nth(0).getByLabel('Caption').fill('ohwx_live, my own words');
    await cards.nth(0).getByRole('button', { name: 'Save caption' }).click();
    await expect.poll(() => cards.nth(0).locator('.caption-source').textContent()).toBe('You');
    expect(await panel.getByRole('button', { name: 'Caption missing' }).isDisabled()).toBe(true);

    // "Caption all" overwrites that: it asks first, and "Keep my captions" starts nothing.
    await panel.getByRole('button', { name: 'Caption all' }).click();
    const dialog = page.getByRole('dialog', { name: 'Overwrite every caption?' });
    await dialog.getByText('1 caption you wrote or edited will be replaced.').waitFor();
    await h.shoot('captions-confirm');
    await dialog.getByRole('button', { name: 'Keep my captions' }).click();
    await dialog.waitFor({ state: 'detached' });
    const jobs = async () => (await h.stack.call<{ items: JobRecord[] }>('jobs.list', { type: 'caption', character_id: live })).body.items;
    expect(await jobs()).toHaveLength(1);

    await panel.getByRole('button', { name: 'Caption all' }).click();
    await dialog.getByRole('button', { name: 'Overwrite all captions' }).click();
    await dialog.waitFor({ state: 'detached' });
    await panel.locator('.badge.status-completed').waitFor({ timeout: 20_000 });
    await expect.poll(() => (jobs().then((j) => j.length))).toBe(2);
    await expect.poll(() => cards.nth(0).getByLabel('Caption').inputValue()).toBe(first);
    expect(await unreviewed.count()).toBe(4);

    // Cancel: the job stops; what it finished stays.
    await panel.getByRole('button', { name: 'Caption all' }).click();
    await dialog.getByRole('button', { name: 'Overwrite all captions' }).click();
    await panel.locator('.badge.status-running').waitFor();
    await panel.getByRole('button', { name: 'Cancel' }).click();
    await panel.locator('.badge.status-cancelled').waitFor({ timeout: 20_000 });
    expect(await panel.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    expect(await unreviewed.count()).toBe(4);
    expect(h.pageErrors).toEqual([]);
  }, 120_000);
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
