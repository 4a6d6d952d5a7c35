/** A doctor problem shows the SPA's banner with the fix; a fast-test studio (all ok) shows none. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';
import { startHarness, type Harness } from './browser-harness.js';

let h: Harness;
let healthy: Stack;

beforeAll(async () => {
  // ai-toolkit configured but not installed: the doctor's ai-toolkit item fails.
  h = await startHarness({ TRAINING_BACKEND: 'ai-toolkit', AI_TOOLKIT_DIR: path.join(tempDir('isengard-e2e-aitk-'), 'missing') });
  healthy = await startStack({ workers: 0, clientDir: h.clientDir });
}, 90_000);
afterAll(async () => {
  await healthy?.stop();
  await h?.close();
});

describe('readiness banner', () => {
  it('shows the failing check and its fix on every page', async () => {
    const { page } = h;
    await page.goto('/characters');
    const banner = page.getByRole('region', { name: 'Setup problems' });
    await banner.waitFor();
    expect(await banner.textContent()).toContain('This pod is not ready');
    expect(await banner.textContent()).toMatch(/FAIL ai-toolkit: no ai-toolkit at .*missing \(run\.py missing\)/);
    expect(await banner.textContent()).toContain('Fix: git clone https://github.com/ostris/ai-toolkit');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Generate' }).click();
    await page.waitForURL('**/generate');
    expect(await banner.isVisible()).toBe(true);
    await h.shoot('readiness-banner');
    expect(h.pageErrors).toEqual([]);
  });

  it('a fast-test studio, where every check is ok, shows no banner', async () => {
    const page = await h.browser.newPage({ baseURL: healthy.url });
    try {
      // The SPA's own readiness answer must have arrived before "no banner" means anything.
      const answered = page.waitForResponse((r) => r.url().includes('system.readiness') && r.ok());
      await page.goto('/characters');
      expect(await (await answered).text()).toContain('"items"');
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      expect(await page.getByRole('region', { name: 'Setup problems' }).count()).toBe(0);
    } finally {
      await page.close();
    }
  });
});
