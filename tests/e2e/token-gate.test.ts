/** With ISENGARD_API_TOKEN set the SPA asks for the token once, then works (cookie session). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './browser-harness.js';

const TOKEN = 'e2e-token-0123456789abcdef';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ ISENGARD_API_TOKEN: TOKEN });
}, 60_000);
afterAll(async () => h?.close());

describe('token prompt', () => {
  it('refuses a wrong token, accepts the right one, and the app keeps working after a reload', async () => {
    const { page } = h;
    await page.goto('/training');
    await page.getByLabel('API token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid token');

    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.getByLabel('Preset').waitFor();
    await page.reload();
    await page.getByLabel('Preset').waitFor();
    expect(await page.getByLabel('API token').count()).toBe(0);
    await h.shoot('token-gate-unlocked');
    expect(h.pageErrors).toEqual([]);
  });
});
