/**
 * A server without an API token answers the opened page's first queries inside index.html
 * (src/server/http/page-boot-data.ts): the SPA renders from them without a session probe or a
 * query batch, a name that looks like markup stays text, and a reload shows what changed since.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_DATA_ELEMENT_ID, type BootData } from '../../src/shared/boot-queries.js';
import { startHarness, type Harness } from './browser-harness.js';

const MARKUP_NAME = 'Ada </script><script>window.__injected = 1</script> \u2028 <!--';
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  for (let attempt = 0; ; attempt++) {
    const created = await h.stack.call('characters.create', { name: MARKUP_NAME, trigger_word: 'ada_boot' });
    if (created.status === 200) break;
    // The API's Redis client has no offline queue: retry the 503 it answers until it is connected.
    if (created.status !== 503 || attempt >= 100) throw new Error(`characters.create → ${created.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);
afterAll(async () => h?.close());

function inlined(html: string): BootData {
  const m = new RegExp(`<script type="application/json" id="${BOOT_DATA_ELEMENT_ID}">([^<]*)</script>`).exec(html);
  if (!m) throw new Error(`index.html carries no boot data: ${html}`);
  return JSON.parse(m[1]!) as BootData;
}

describe('first data inside index.html', () => {
  it('is served uncached with the Training page answers, and the page renders from it without asking', async () => {
    const { page } = h;
    const asked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/')) asked.push(url.pathname);
    });
    const response = await page.goto('/training');
    expect(response?.headers()['cache-control']).toBe('no-store');
    const data = inlined(await response!.text());
    expect(data.session).toEqual({ auth: false, authenticated: true });
    expect(data.queries['characters.list']).toEqual([expect.objectContaining({ name: MARKUP_NAME })]);
    const info = await h.stack.call('system.info');
    expect(data.queries['system.info']).toEqual(info.body);

    await page.getByLabel('Preset').waitFor();
    await expect.poll(() => page.getByRole('button', { name: 'Start Training' }).isEnabled()).toBe(true);
    expect(await page.getByLabel('Character').locator('option', { hasText: 'window.__injected' }).count()).toBe(1);
    expect(asked.filter((p) => p === '/api/session' || /system\.info|characters\.list|training\.list/.test(p))).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
    expect(h.pageErrors).toEqual([]);
    expect(h.cspViolations).toEqual([]);
  });

  it('a reload carries what changed since, not a stored copy', async () => {
    const { page } = h;
    const created = await h.stack.call<{ id: string }>('characters.create', { name: 'Grace Hopper', trigger_word: 'grace_h' });
    expect(created.status).toBe(200);
    const response = await page.reload();
    expect((inlined(await response!.text()).queries['characters.list'] as { name: string }[]).map((c) => c.name)).toContain('Grace Hopper');
    await expect.poll(() => page.getByLabel('Character').locator('option', { hasText: 'Grace Hopper' }).count()).toBe(1);
    expect(h.pageErrors).toEqual([]);
  });
});
