/**
 * Browser test harness: builds the SPA into a temp dir, starts a real stack serving it, and
 * drives Debian's chromium through playwright-core.
 */
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO, startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

export const CHROMIUM = '/usr/bin/chromium';
/**
 * Headless, no sandbox (containers), nothing phoning home. Chromium 156 also opens its WebUI
 * omnibox popup (chrome://omnibox-popup.top-chrome, a renderer running a dozen scripts) with every
 * new window: on a 2-core host that took 150-250 ms of CPU from each fresh page under test.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup',
];
export const SCREENSHOTS = path.join(REPO, 'tests', 'e2e', 'screenshots');
export const WIDTHS = [1280, 390] as const;

export async function buildClient(): Promise<string> {
  const outDir = tempDir('isengard-client-');
  // vitest sets NODE_ENV=test, which would make vite bundle React's development build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: path.join(REPO, 'vite.config.ts'),
      root: path.join(REPO, 'src', 'client'),
      mode: 'production',
      logLevel: 'warn',
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  return outDir;
}

export interface Harness {
  stack: Stack;
  browser: Browser;
  page: Page;
  /** Uncaught exceptions in the page: a passing flow must not have any. */
  pageErrors: string[];
  /** Anything the Content-Security-Policy blocked (the built app must need nothing it forbids). */
  cspViolations: string[];
  clientDir: string;
  shoot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const clientDir = await buildClient();
  const stack = await startStack({ workers: 1, clientDir, env });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ baseURL: stack.url, viewport: { width: WIDTHS[0], height: 900 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const cspViolations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });

  return {
    stack,
    browser,
    page,
    pageErrors,
    cspViolations,
    clientDir,
    async shoot(name) {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        // From the top (the sticky bar would land mid-picture otherwise), after layout settles.
        await page.evaluate(() => {
          window.scrollTo(0, 0);
          return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        });
        await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${width}.png`), fullPage: true });
      }
      await page.setViewportSize({ width: WIDTHS[0], height: 900 });
    },
    async close() {
      await browser.close().catch(() => undefined);
      await stack.stop();
      fs.rmSync(clientDir, { recursive: true, force: true });
    },
  };
}
