/**
 * The SPA in a real browser against a real stack (API in-process, one worker child process,
 * mock backends): characters and uploads, training with presets and live progress, logs with
 * web- correlation ids, generation with upscale, the jobs page, deep-link reloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { startHarness, type Harness } from './browser-harness.js';
import type { Character } from '../../src/shared/characters.js';
import type { JobRecord } from '../../src/shared/jobs.js';

let h: Harness;
let characterId = '';
let trainingJobId = '';

const png = (width: number, height: number, r: number) =>
  sharp({ create: { width, height, channels: 3, background: { r, g: 90, b: 140 } } }).png().toBuffer();

beforeAll(async () => {
  h = await startHarness({ MOCK_STEP_MS: '1' });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('web app', () => {
  it('creates a character, shows a server issue by its field, uploads images and rejects a fake PNG', async () => {
    const { page } = h;
    await page.goto('/');
    await page.waitForURL('**/characters');
    await page.getByRole('button', { name: 'New character' }).click();
    await page.getByLabel('Name').fill('Anna');
    await page.getByLabel('Trigger Word').fill('Bad Word');
    await page.getByRole('button', { name: 'Create character' }).click();
    const triggerField = page.locator('.field', { has: page.getByLabel('Trigger Word') });
    await expect.poll(() => triggerField.textContent()).toContain("Parameter 'trigger_word' must be 2-32 lowercase letters");

    await page.getByLabel('Trigger Word').fill('ohwx_anna');
    await page.getByRole('button', { name: 'Create character' }).click();
    await page.getByRole('heading', { name: 'Anna' }).waitFor();
    characterId = new URL(page.url()).searchParams.get('id') ?? '';
    expect(characterId).toMatch(/^char-[0-9a-f]{12}$/);

    await page.getByLabel('Upload images').setInputFiles([
      { name: 'front.png', mimeType: 'image/png', buffer: await png(320, 400, 200) },
      { name: 'side.png', mimeType: 'image/png', buffer: await png(400, 300, 60) },
      { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('this is a text file, not an image') },
    ]);
    const results = page.getByRole('list', { name: 'Upload results' });
    await results.waitFor();
    await expect.poll(() => results.locator('li').count()).toBe(3);
    expect(await results.locator('li', { hasText: 'front.png' }).textContent()).toContain('uploaded');
    expect(await results.locator('li', { hasText: 'notes.png' }).textContent()).toContain('rejected: Not a JPEG, PNG or WebP image');

    const thumbs = page.getByRole('list', { name: 'Training images' }).locator('img');
    await expect.poll(() => thumbs.count()).toBe(2);
    await expect.poll(() => thumbs.first().evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);

    const card = page.locator('.image-card').first();
    await card.getByLabel('Caption').fill('ohwx_anna, portrait, studio light');
    await card.getByRole('button', { name: 'Save caption' }).click();
    await card.getByRole('button', { name: 'Saved' }).waitFor();
    const { body } = await h.stack.call<Character>('characters.get', { id: characterId });
    expect(body.images).toHaveLength(2);
    expect(body.images.map((i) => i.caption)).toContain('ohwx_anna, portrait, studio light');
    await h.shoot('characters');
  }, 30_000);

  it('applies the quality preset, shows unavailable parameters, trains to 100 % and logs web- correlation ids', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Training' }).click();
    await page.getByLabel('Preset').selectOption('quality');
    await page.getByText('4 preset params not supported by current trainer').waitFor();
    expect(await page.getByLabel('Steps').inputValue()).toBe('2000');
    expect(await page.getByLabel('Lora Rank').inputValue()).toBe('32');
    // quality chooses prodigy: Learning Rate does not apply, and the control says why.
    expect(await page.getByLabel('Optimizer').inputValue()).toBe('prodigy');
    const lr = page.getByLabel('Learning Rate');
    expect(await lr.isDisabled()).toBe(true);
    const lrField = page.locator('.field', { has: lr });
    expect(await lrField.textContent()).toContain(
      "Does not apply when optimizer is 'prodigy': Prodigy sets its own step size: ai-toolkit replaces any learning rate below 0.1 with 1.0",
    );
    expect(await page.getByRole('list', { name: 'Unavailable Precision options' }).textContent()).toContain('fp16, fp32: FLUX trains in bf16');
    // Choosing prodigy by hand does the same, and adamw brings the control back.
    await page.getByLabel('Optimizer').selectOption('adamw');
    expect(await lr.isDisabled()).toBe(false);
    await page.getByLabel('Optimizer').selectOption('prodigy');
    expect(await lr.isDisabled()).toBe(true);
    expect(await lrField.textContent()).toContain("Does not apply when optimizer is 'prodigy'");

    await page.getByText('2 parameters not available').click();
    await page.getByText('Planned for Phase 2').waitFor();
    await page.getByText('Not yet implemented in AI-Toolkit adapter').waitFor();
    expect(await page.getByLabel('Network Alpha').isDisabled()).toBe(true);
    await h.shoot('training');

    await page.getByRole('button', { name: 'Start Training' }).click();
    await page.waitForURL(/\/training\/training-[0-9a-f]{12}$/);
    trainingJobId = page.url().split('/').pop()!;
    const bar = page.getByRole('progressbar', { name: 'Training progress' });
    await expect.poll(() => bar.getAttribute('aria-valuenow'), { timeout: 30_000 }).toBe('100');
    await page.locator('.badge.status-completed').first().waitFor();
    await page.getByRole('table', { name: 'Samples by prompt and step' }).getByRole('rowheader', { name: '1500' }).waitFor();
    expect(await page.locator('.loss-chart polyline').getAttribute('points')).toMatch(/\d+(\.\d+)?,\d+(\.\d+)? .+ /);
    await page.getByText('LoRA ready:').waitFor();

    const link = page.getByRole('link', { name: 'Download Logs' });
    expect(await link.getAttribute('download')).not.toBeNull();
    const href = await link.getAttribute('href');
    expect(href).toBe(`/api/jobs/${trainingJobId}/logs`);
    const text = await page.evaluate(async (url) => (await fetch(url)).text(), href!);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { correlation_id?: string; event?: string });
    expect(lines.length).toBeGreaterThan(3);
    expect(lines.map((l) => l.event)).toEqual(expect.arrayContaining(['job.queued', 'job.start', 'job.complete']));
    for (const line of lines) expect(line.correlation_id).toMatch(/^web-[0-9a-f-]{36}$/);
    await h.shoot('training-job');

    await page.reload();
    await page.getByRole('heading', { name: /Training/ }).first().waitFor();
    expect(await bar.getAttribute('aria-valuenow')).toBe('100');
    await page.locator('.log-line').first().waitFor();
  }, 45_000);

  it('generates with a LoRA and upscale; the full-size image is 2x the requested size', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Generate' }).click();
    // Exact: until Generate renders, the training page's "Evaluation prompts" would match too.
    await page.getByLabel('Prompt', { exact: true }).fill('a portrait of ohwx_anna, cinematic light');
    // flux-schnell has no guidance: the control is disabled and says why; dev brings it back.
    const guidance = page.getByLabel('Guidance Scale');
    expect(await guidance.isDisabled()).toBe(false);
    await page.getByLabel('Model Variant').selectOption('flux-schnell');
    expect(await guidance.isDisabled()).toBe(true);
    expect(await page.locator('.field', { has: guidance }).textContent()).toContain(
      "Does not apply when model_variant is 'flux-schnell': FLUX schnell is distilled without guidance: its graphs have no FluxGuidance node",
    );
    await h.shoot('generate-schnell');
    await page.getByLabel('Model Variant').selectOption('flux-dev');
    expect(await guidance.isDisabled()).toBe(false);
    expect(await page.getByLabel('Width').getAttribute('step')).toBe('16');
    await page.getByLabel('Width').fill('512');
    await page.getByLabel('Height').fill('640');
    await page.getByLabel('Steps').fill('8');
    await page.getByLabel('LoRA', { exact: true }).selectOption({ index: 1 });
    expect(await page.getByLabel('Use Facedetailer').isDisabled()).toBe(true);
    await page.getByLabel('Use Upscale').check();
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.locator('article.gen-card').first();
    const thumb = card.getByRole('button', { name: /Open image seed/ });
    await thumb.waitFor({ timeout: 20_000 });
    expect(await card.getByRole('link', { name: 'Download Logs' }).getAttribute('href')).toMatch(/^\/api\/jobs\/generation-[0-9a-f]{12}\/logs$/);
    await thumb.click();
    const full = page.locator('.lightbox img.full-image');
    await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
    const size = await full.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]);
    expect(size).toEqual([1024, 1280]);
    expect(await page.locator('.lightbox figcaption').textContent()).toContain('1024×1280');
    await h.shoot('generate-lightbox');
    await page.keyboard.press('Escape');
    await full.waitFor({ state: 'detached' });

    const jobs = await h.stack.call<{ items: JobRecord[] }>('generation.list', {});
    const job = jobs.body.items[0]!;
    expect(job.lora_id).toMatch(/^lora-/);
    expect(job.correlation_id).toMatch(/^web-/);
    await h.shoot('generate');
  }, 30_000);

  it('lists jobs with filters, follows a log, and survives a reload on deep links', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.getByLabel('Type').selectOption('training');
    const rows = page.locator('.job-list .job-row');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().click();
    await page.waitForURL(`**/jobs/${trainingJobId}`);
    await page.locator('.log-line', { hasText: 'job.complete' }).waitFor();
    // The jobs.onLog subscription ends at the terminal status, and the view says so.
    await page.getByText(/^\d+ lines · job finished$/).waitFor();
    await h.shoot('jobs');

    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No jobs match.').waitFor();

    for (const deep of [`/training/${trainingJobId}`, `/jobs/${trainingJobId}`, '/generate', `/characters?id=${characterId}`]) {
      await page.goto(deep);
      await page.locator('main h1, main h2').first().waitFor();
      expect(await page.locator('main').textContent(), deep).not.toContain('Not found');
    }
    await page.goto(`/training/${trainingJobId}`);
    await page.reload();
    expect(await page.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe('100');
    expect(h.pageErrors).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  }, 30_000);

  it('cancels a running training from its page', async () => {
    const { page } = h;
    await page.goto(`/training?character=${characterId}`);
    await page.getByLabel('Steps').fill('10000');
    await page.getByRole('button', { name: 'Start Training' }).click();
    await page.waitForURL(/\/training\/training-[0-9a-f]{12}$/);
    const bar = page.getByRole('progressbar', { name: 'Training progress' });
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.badge.status-cancelled').first().waitFor();
    expect(Number(await bar.getAttribute('aria-valuenow'))).toBeLessThan(100);
    expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  }, 20_000);
});
