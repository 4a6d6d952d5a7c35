/**
 * In Chromium against a real stack (mock trainer and image backend): a finished training's page
 * starts an evaluation, the grid fills in (step × strength, a tab per prompt), a cell opens large
 * with its seed, strength and step, "Use this" stores the character's Generate default, and
 * Generate opens prefilled with that LoRA and strength — on the link and on a later visit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './browser-harness.js';
import { characterWithImages } from '../helpers/fixtures.js';
import type { Character } from '../../src/shared/characters.js';
import type { EvaluationGrid } from '../../src/shared/evaluations.js';
import type { JobRecord } from '../../src/shared/jobs.js';

let h: Harness;
let characterId = '';
let trainingId = '';

beforeAll(async () => {
  h = await startHarness({ MOCK_STEP_MS: '4' });
  characterId = await characterWithImages(h.stack, 2, 'ivy_person');
  const started = await h.stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 500, sample_every: 250 } });
  expect(started.status).toBe(200);
  trainingId = started.body.id;
  expect(await h.stack.waitFor(trainingId, undefined, 60_000)).toMatchObject({ status: 'completed' });
}, 120_000);
afterAll(async () => h?.close());

const grid = async (id: string) => (await h.stack.call<EvaluationGrid>('evaluations.get', { id })).body;

describe('evaluation grid', () => {
  it('Evaluate → the grid fills in → enlarge a cell → "Use this" → Generate is prefilled with that LoRA and strength', async () => {
    const { page } = h;
    await page.goto(`/training/${trainingId}`);
    await page.getByLabel('Strengths').fill('0.8, 1.2');
    await page.getByLabel('Evaluation prompts').fill('ivy_person in a garden\nivy_person reading');
    // Image size and steps start at the image manifest's defaults; a smaller grid is quicker. Their
    // controls are drawn once opened ("Steps" on this page is Continue's).
    const settings = page.getByText('Image size and steps: 1024 × 1024 px, 20 steps');
    expect(await page.getByLabel('Image Width').count()).toBe(0);
    await settings.click();
    expect(await page.getByLabel('Image Height').inputValue()).toBe('1024');
    await page.getByLabel('Image Width').fill('512');
    await page.getByLabel('Image Steps').fill('8');
    await page.getByText('Image size and steps: 512 × 1024 px, 8 steps').waitFor();
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await page.waitForURL(/\/evaluations\/evaluation-[0-9a-f]{12}$/);
    const evaluationId = page.url().split('/').pop()!;
    await page.getByText('Each image: flux-dev, 512 × 1024 px, 8 steps.').waitFor();

    const region = page.getByRole('region', { name: 'Evaluation grid' });
    await region.waitFor();
    const done = await h.stack.waitFor(evaluationId, undefined, 60_000);
    expect(done.status).toBe('completed');
    const final = await grid(evaluationId);
    expect(final.strengths).toEqual([0.8, 1.2]);
    expect(final).toMatchObject({ width: 512, height: 1024, steps: 8 });
    expect(done.outputs.every((o) => o.width === 512 && o.height === 1024)).toBe(true);
    expect(final.rows.length).toBeGreaterThanOrEqual(2);
    // Every cell of the first prompt is a live button once the grid is complete.
    await expect.poll(() => region.locator('button.eval-cell:not([disabled])').count(), { timeout: 20_000 }).toBe(final.rows.length * 2);
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Prompt 1', 'Prompt 2']);
    expect(await region.getByRole('columnheader').allTextContents()).toEqual(['Step \\ strength', '0.8', '1.2']);
    await h.shoot('evaluation-grid');

    // The second prompt, a checkpoint row (not the final LoRA), strength 0.8.
    const row = final.rows.find((r) => !r.final)!;
    const cell = row.cells.find((c) => c.strength === 0.8 && c.prompt_index === 1)!;
    await page.getByRole('tab', { name: 'Prompt 2' }).click();
    await region.getByRole('button', { name: `Step ${row.step}, strength 0.8`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Step ${row.step}, strength 0.8` });
    const full = dialog.getByRole('img');
    await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    expect(await full.getAttribute('src')).toBe(`/api/jobs/${evaluationId}/files/${cell.image}`);
    const facts = await dialog.locator('.eval-facts').textContent();
    expect(facts).toContain(`step ${row.step}`);
    expect(facts).toContain(String(cell.seed));
    expect(facts).toContain('ivy_person reading');
    await h.shoot('evaluation-cell-dialog');

    // A checkpoint row has no LoRA until "Use this" registers one.
    expect(row.lora_id).toBeNull();
    await dialog.getByRole('button', { name: 'Use this' }).click();
    await dialog.getByRole('status').waitFor();
    const loraId = (await grid(evaluationId)).rows.find((r) => r.step === row.step && !r.final)!.lora_id!;
    expect(loraId).toMatch(/^lora-[0-9a-f]{12}$/);
    const stored = (await h.stack.call<Character>('characters.get', { id: characterId })).body;
    expect(stored.generation_defaults).toEqual({ lora_id: loraId, strength: 0.8 });

    await dialog.getByRole('link', { name: 'Open Generate' }).click();
    await page.waitForURL(`**/generate?character=${characterId}`);
    const lora = page.getByLabel('LoRA', { exact: true });
    await expect.poll(() => lora.inputValue()).toBe(loraId);
    expect(await page.getByLabel('Lora Strength').inputValue()).toBe('0.8');

    // A later visit: the default comes from the server, not from the page that set it.
    await page.goto('/characters');
    await page.goto(`/generate?character=${characterId}`);
    await expect.poll(() => lora.inputValue()).toBe(loraId);
    expect(await page.getByLabel('Lora Strength').inputValue()).toBe('0.8');
    // Choosing the LoRA by hand also starts it at the stored strength.
    await lora.selectOption('');
    await lora.selectOption(loraId);
    expect(await page.getByLabel('Lora Strength').inputValue()).toBe('0.8');
    await h.shoot('evaluation-generate-prefilled');

    // The training page links to the evaluation.
    await page.goto(`/training/${trainingId}`);
    await page.getByRole('list', { name: 'Evaluations of this training' }).getByRole('link', { name: evaluationId }).click();
    await page.waitForURL(`**/evaluations/${evaluationId}`);
    await region.waitFor();
    expect(h.pageErrors).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  }, 120_000);

  it('Cancel stops a running grid and keeps its finished cells; "Evaluate during training" lists a live evaluation', async () => {
    const { page } = h;
    await page.goto(`/training/${trainingId}`);
    await page.getByLabel('Strengths').fill('0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6');
    await page.getByLabel('Evaluation prompts').fill('ivy_person one\nivy_person two\nivy_person three\nivy_person four');
    await page.getByRole('button', { name: 'Evaluate' }).click();
    await page.waitForURL(/\/evaluations\/evaluation-[0-9a-f]{12}$/);
    const evaluationId = page.url().split('/').pop()!;
    const region = page.getByRole('region', { name: 'Evaluation grid' });
    await region.locator('button.eval-cell:not([disabled])').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.badge.status-cancelled').first().waitFor({ timeout: 30_000 });
    const stopped = await grid(evaluationId);
    expect(stopped.status).toBe('cancelled');
    const cells = stopped.rows.flatMap((r) => r.cells.filter((c) => c.prompt_index === 0));
    const rendered = cells.filter((c) => c.image !== null).length;
    expect(rendered).toBeGreaterThan(0);
    expect(rendered).toBeLessThan(cells.length);
    // The badge follows the job's subscription; the grid refetches after it, so both are polled.
    await expect.poll(() => region.locator('button.eval-cell:not([disabled])').count()).toBe(rendered);
    await expect.poll(() => region.getByRole('button', { name: /, not rendered$/ }).count()).toBe(cells.length - rendered);
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);

    // Live mode from the training form: the evaluation is listed on the new training's page.
    await page.goto(`/training?character=${characterId}`);
    await page.getByLabel('Steps').fill('200');
    await page.getByRole('checkbox', { name: 'Evaluate during training' }).check();
    await page.getByRole('button', { name: 'Start Training' }).click();
    await page.waitForURL(/\/training\/training-[0-9a-f]{12}$/);
    const liveTraining = page.url().split('/').pop()!;
    const listed = page.getByRole('list', { name: 'Evaluations of this training' }).getByRole('link');
    await listed.first().waitFor({ timeout: 30_000 });
    const liveId = (await listed.first().textContent())!;
    const liveGrid = await grid(liveId);
    expect(liveGrid).toMatchObject({ training_id: liveTraining, live: true });
    await listed.first().click();
    await page.waitForURL(`**/evaluations/${liveId}`);
    expect(await h.stack.waitFor(liveId, undefined, 60_000)).toMatchObject({ status: 'completed' });
    await expect.poll(() => page.getByRole('region', { name: 'Evaluation grid' }).locator('button.eval-cell:not([disabled])').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(h.pageErrors).toEqual([]);
  }, 120_000);
});
