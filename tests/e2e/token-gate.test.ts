/**
 * With ISENGARD_API_TOKEN set the SPA asks for the token once, then works (cookie session);
 * Log out ends the session, and a reload asks for the token again. index.html then carries no
 * data. The built app runs under the server's Content-Security-Policy without anything blocked.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_DATA_ELEMENT_ID } from '../../src/shared/boot-queries.js';
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
    const response = await page.goto('/training');
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    // A page load carries no credentials, so index.html inlines no data (page-boot-data.ts).
    expect(await response!.text()).not.toContain(BOOT_DATA_ELEMENT_ID);
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
    expect(h.cspViolations).toEqual([]);
  });

  it('Log out ends the session: the token is asked for at once, and again after a reload', async () => {
    const { page } = h;
    await page.goto('/characters');
    const gate = page.getByLabel('API token');
    if (await gate.count()) {
      await gate.fill(TOKEN);
      await page.getByRole('button', { name: 'Unlock' }).click();
    }
    await page.getByRole('button', { name: 'Log out' }).click();
    await gate.waitFor();
    await page.reload();
    await gate.waitFor();
    expect(await page.getByRole('button', { name: 'Log out' }).count()).toBe(0);
    // The server agrees: the old cookie opens nothing.
    const probe = await page.evaluate(async () => (await fetch('/api/info')).status);
    expect(probe).toBe(401);
    expect(h.pageErrors).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  });
});
