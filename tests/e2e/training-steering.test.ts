/**
 * In Chromium against a real stack (mock trainer): cancel → Resume → 100 %, the samples grid
 * (prompt × step, click to enlarge), a checkpoint used for generation, Continue, and
 * "Train again with these settings" prefilling the form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './browser-harness.js';
import { characterWithImages } from '../helpers/fixtures.js';
import type { JobRecord } from '../../src/shared/jobs.js';

let h: Harness;
let characterId = '';

beforeAll(async () => {
  h = await startHarness({ MOCK_STEP_MS: '6' });
  characterId = await characterWithImages(h.stack, 2, 'eve_person');
}, 60_000);
afterAll(async () => h?.close());

describe('training users can steer', () => {
  it('cancel → Resume → 100 %; samples grid; checkpoint for generation; Train again prefills the form', async () => {
    const { page } = h;
    await page.goto(`/training?character=${characterId}`);
    await page.getByLabel('Steps').fill('1000');
    await page.getByLabel('Keep Checkpoints').fill('3');
    await page.getByLabel('Sample Prompts').fill('eve_person reading a book\na watercolor of a lighthouse');
    await page.getByRole('button', { name: 'Start Training' }).click();
    await page.waitForURL(/\/training\/training-[0-9a-f]{12}$/);
    const firstId = page.url().split('/').pop()!;
    const bar = page.getByRole('progressbar', { name: 'Training progress' });
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThanOrEqual(35);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.badge.status-cancelled').first().waitFor();
    const cancelled = (await h.stack.call<JobRecord>('training.get', { id: firstId })).body;
    const lastCheckpoint = Math.max(...cancelled.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step!));

    await page.getByRole('button', { name: 'Resume' }).click();
    await page.waitForURL((url) => /\/training\/training-[0-9a-f]{12}$/.test(url.pathname) && !url.pathname.endsWith(firstId));
    const resumedId = page.url().split('/').pop()!;
    await page.getByRole('link', { name: firstId }).waitFor();
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('100');
    await page.locator('.badge.status-completed').first().waitFor();
    const resumed = (await h.stack.call<JobRecord>('training.get', { id: resumedId })).body;
    expect(resumed).toMatchObject({ resumed_from: firstId, resume_step: lastCheckpoint, current_step: 1000 });
    expect(await page.locator('.loss-chart polyline').getAttribute('points')).toMatch(/\d+(\.\d+)?,\d+(\.\d+)? .+ /);

    // Samples: one column per prompt, newest step first, click to enlarge.
    const grid = page.getByRole('table', { name: 'Samples by prompt and step' });
    await grid.getByRole('columnheader', { name: 'eve_person, a watercolor of a lighthouse' }).waitFor();
    const rowSteps = await grid.locator('tbody th[scope=row]').allTextContents();
    expect(rowSteps[0]).toBe('1000');
    expect(rowSteps.map(Number)).toEqual([...rowSteps.map(Number)].sort((a, b) => b - a));
    await grid.getByRole('button', { name: 'Enlarge sample at step 1000: eve_person reading a book' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sample at step 1000' });
    await expect.poll(() => dialog.locator('img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    await h.shoot('training-samples-dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await h.shoot('training-resumed');

    // Train again: the form is prefilled with that job's config, character and prompts.
    await page.getByRole('button', { name: 'Train again with these settings' }).click();
    await page.waitForURL(`**/training?from=${resumedId}`);
    await expect.poll(() => page.getByLabel('Steps').inputValue()).toBe('1000');
    expect(await page.getByLabel('Keep Checkpoints').inputValue()).toBe('3');
    expect(await page.getByLabel('Character').inputValue()).toBe(characterId);
    expect(await page.getByLabel('Sample Prompts').inputValue()).toBe('eve_person reading a book\neve_person, a watercolor of a lighthouse');
    await h.shoot('training-train-again');

    // A checkpoint becomes a LoRA and opens Generate with it selected.
    await page.goto(`/training/${resumedId}`);
    await page.getByRole('button', { name: 'Use checkpoint at step 750 for generation' }).click();
    await page.waitForURL(/\/generate\?lora=lora-[0-9a-f]{12}$/);
    const loraId = new URL(page.url()).searchParams.get('lora')!;
    await expect.poll(() => page.getByLabel('LoRA', { exact: true }).inputValue()).toBe(loraId);

    // Continue: exactly N more steps, a new LoRA linked to the first.
    await page.goto(`/training/${resumedId}`);
    await page.getByLabel('Steps').fill('200');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL((url) => !url.pathname.endsWith(resumedId) && /\/training\/training-/.test(url.pathname));
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('100');
    const nextId = page.url().split('/').pop()!;
    const next = (await h.stack.call<JobRecord>('training.get', { id: nextId })).body;
    expect(next).toMatchObject({ continued_from: resumedId, total_steps: 200, current_step: 200 });
    expect(h.pageErrors).toEqual([]);
  }, 120_000);

  it('the purge dialog lists what goes; purging runs a job and the person is gone', async () => {
    const { page } = h;
    const victim = await characterWithImages(h.stack, 2, 'zed_purge');
    await page.goto(`/characters?id=${victim}`);
    await page.getByRole('button', { name: 'Purge person…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Purge Zed?' });
    const list = dialog.getByRole('list', { name: 'What will be purged' });
    await list.waitFor();
    expect(await list.textContent()).toMatch(/2 photos \(\d/);
    await h.shoot('purge-dialog');
    await dialog.getByRole('button', { name: 'Keep' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect((await h.stack.call('characters.get', { id: victim })).status).toBe(200);

    await page.getByRole('button', { name: 'Purge person…' }).click();
    await page.getByRole('button', { name: 'Purge everything' }).click();
    await page.waitForURL(/\/jobs\/purge-[0-9a-f]{12}$/);
    const purged = await h.stack.waitFor(page.url().split('/').pop()!, undefined, 30_000);
    expect(purged).toMatchObject({ type: 'purge', status: 'completed', character_id: victim });
    await page.locator('.log-line', { hasText: 'purge.deleted' }).waitFor();
    expect((await h.stack.call('characters.get', { id: victim })).status).toBe(404);
    expect(h.pageErrors).toEqual([]);
  }, 60_000);
});
