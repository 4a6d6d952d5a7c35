/**
 * The SPA against the smallest Vite + React page (bench/fixtures/hello-react), both built in this
 * run with the same vite and @vitejs/plugin-react:
 *  - initial-route bundle size: index.html plus every JS/CSS file it references (script src,
 *    stylesheet and modulepreload links), each gzipped at level 9 on its own and summed;
 *  - time to interactive in Debian's chromium (playwright-core, CHROMIUM_ARGS: the browser's own
 *    WebUI omnibox popup off), a fresh context per load: the
 *    Training page (/training, served by the real API with a private Redis) until the Preset select
 *    and the Start Training button are visible and enabled — so it includes /api/info and
 *    characters.list — against the hello page (tiny node:http static server) until its text shows.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import react from '@vitejs/plugin-react';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';
import { buildClient, CHROMIUM, CHROMIUM_ARGS } from '../tests/e2e/browser-harness.js';
import { startStack, type Stack } from '../tests/helpers/stack.js';
import { tempDir } from '../tests/helpers/test-config.js';
import { registerCleanup } from './lib/cleanup.js';
import { median, sleep } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const HELLO_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hello-react');
const HELLO_TEXT = 'Hello, world';
/** Measured loads per page; one more is made first and discarded (warm-up). */
const RUNS = Math.max(1, Number(process.env.BENCH_SPA_RUNS ?? 7));
const LOAD_TIMEOUT_MS = 15_000;

type Kind = 'isengard' | 'hello';

interface InitialRoute {
  gzipBytes: number;
  rawBytes: number;
  files: string[];
  /** Built JS/CSS the initial route does not reference (lazy chunks). */
  unreferenced: string[];
}

/** vite build of the hello fixture with no config file, React's production build (see buildClient). */
async function buildHello(outDir: string): Promise<void> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({
      configFile: false,
      root: HELLO_DIR,
      mode: 'production',
      logLevel: 'warn',
      plugins: [react()],
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}

const attr = (tag: string, name: string): string | undefined => new RegExp(`\\s${name}\\s*=\\s*["']([^"']*)["']`, 'i').exec(tag)?.[1];

function initialRoute(outDir: string): InitialRoute {
  const htmlFile = path.join(outDir, 'index.html');
  const html = fs.readFileSync(htmlFile, 'utf8');
  const refs = new Set<string>();
  for (const [tag] of html.matchAll(/<(?:script|link)\b[^>]*>/gi)) {
    const isScript = /^<script/i.test(tag);
    const rel = (attr(tag, 'rel') ?? '').toLowerCase().split(/\s+/);
    const ref = isScript ? attr(tag, 'src') : rel.includes('stylesheet') || rel.includes('modulepreload') ? attr(tag, 'href') : undefined;
    if (!ref || /^(data:|[a-z]+:\/\/|\/\/)/i.test(ref)) continue;
    refs.add(ref.split(/[?#]/)[0]!.replace(/^\.?\//, ''));
  }
  const files = ['index.html', ...refs];
  let gzipBytes = 0;
  let rawBytes = 0;
  for (const rel of files) {
    const file = path.join(outDir, rel);
    if (!fs.existsSync(file)) throw new Error(`index.html references ${rel}, missing from ${outDir}`);
    const body = fs.readFileSync(file);
    rawBytes += body.length;
    gzipBytes += zlib.gzipSync(body, { level: 9 }).length;
  }
  const assets = fs.existsSync(path.join(outDir, 'assets')) ? fs.readdirSync(path.join(outDir, 'assets')).map((f) => `assets/${f}`) : [];
  const unreferenced = assets.filter((f) => /\.(m?js|css)$/.test(f) && !refs.has(f));
  return { gzipBytes, rawBytes, files, unreferenced };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** Serves `dir` on 127.0.0.1 (index.html for anything that is not a file), uncompressed like the API. */
async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    let file = path.resolve(root, '.' + path.posix.normalize('/' + pathname));
    if (!file.startsWith(root + path.sep) || !fs.statSync(file, { throwIfNoEntry: false })?.isFile()) file = path.join(root, 'index.html');
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
}

/**
 * Runs at document start in every new document: a MutationObserver (DOM, attributes, text) that
 * stamps `window.__benchReady = performance.now()` — ms since navigation start — at the first
 * mutation after which the page is usable. Plain JS source, not a function handed to playwright:
 * tsx compiles named closures with an `__name` helper that does not exist in the page.
 */
function readyProbe(kind: Kind): string {
  const ready =
    kind === 'hello'
      ? `shown([...document.querySelectorAll('h1')].find((h) => h.textContent.trim() === ${JSON.stringify(HELLO_TEXT)}))`
      : `(() => {
          const preset = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === 'Preset')?.control;
          const start = [...document.querySelectorAll('button')].find((b) => b.textContent.trim() === 'Start Training');
          return shown(preset) && !preset.disabled && shown(start) && !start.disabled;
        })()`;
  return `(() => {
    const shown = (el) => {
      if (!el || !el.isConnected) return false;
      const box = el.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
    };
    const observer = new MutationObserver(() => {
      if (window.__benchReady === undefined && ${ready}) {
        window.__benchReady = performance.now();
        observer.disconnect();
      }
    });
    observer.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  })();`;
}

interface Load {
  /** In-page: performance.now() when ready, i.e. ms since navigation start. */
  inPageMs: number;
  /** Node wall clock from page.goto() to waitForFunction seeing the stamp (raf polling). */
  wallMs: number;
}

async function load(browser: Browser, kind: Kind, url: string): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    context.setDefaultTimeout(LOAD_TIMEOUT_MS);
    await context.addInitScript({ content: readyProbe(kind) });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    const started = performance.now();
    await page.goto(url, { waitUntil: 'commit' });
    await page
      .waitForFunction(() => (window as unknown as { __benchReady?: number }).__benchReady !== undefined, null, { timeout: LOAD_TIMEOUT_MS })
      .catch(async (err: Error) => {
        const text = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '?');
        throw new Error(`${kind} never became ready (${err.message.split('\n')[0]}); page text: ${text.replace(/\s+/g, ' ').slice(0, 300)}; errors: ${errors.join('; ') || 'none'}`);
      });
    const wallMs = performance.now() - started;
    const inPageMs = await page.evaluate(() => (window as unknown as { __benchReady: number }).__benchReady);
    await confirmReady(page, kind);
    if (errors.length) throw new Error(`${kind} page errors: ${errors.join('; ')}`);
    return { inPageMs, wallMs };
  } finally {
    await context.close().catch(() => undefined);
  }
}

/** The probe's verdict, checked again with playwright's own locators (strict: one match each). */
async function confirmReady(page: Page, kind: Kind): Promise<void> {
  const checks =
    kind === 'hello'
      ? [page.getByText(HELLO_TEXT)]
      : [page.getByLabel('Preset'), page.getByRole('button', { name: 'Start Training' })];
  for (const loc of checks) {
    if (!(await loc.isVisible()) || !(await loc.isEnabled())) throw new Error(`${kind}: probe fired but ${loc} is not visible and enabled`);
  }
}

const spread = (xs: number[]) => `${round(Math.min(...xs))}–${round(Math.max(...xs))}`;

export async function run(): Promise<BenchResult[]> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const cleanups: (() => Promise<void>)[] = [];
  const own = (fn: () => Promise<void> | void) => cleanups.push(registerCleanup(fn));
  try {
    const clientDir = await buildClient();
    own(() => fs.rmSync(clientDir, { recursive: true, force: true }));
    const helloDir = tempDir('isengard-bench-hello-');
    own(() => fs.rmSync(helloDir, { recursive: true, force: true }));
    await buildHello(helloDir);
    const ours = initialRoute(clientDir);
    const hello = initialRoute(helloDir);

    const stack: Stack = await startStack({ clientDir });
    own(async () => {
      await stack.stop();
      fs.rmSync(stack.volume, { recursive: true, force: true });
      fs.rmSync(stack.redis.dir, { recursive: true, force: true });
    });
    // Start Training is disabled until a character exists. The API's Redis client has no offline
    // queue: retry the 503 it answers until its connection is up.
    for (let attempt = 0; ; attempt++) {
      const created = await stack.call('characters.create', { name: 'Bench', trigger_word: 'ohwx_bench' });
      if (created.status === 200) break;
      if (created.status !== 503 || attempt >= 100) throw new Error(`characters.create → ${created.status}: ${JSON.stringify(created.body)}`);
      await sleep(50);
    }
    const helloServer = await serveStatic(helloDir);
    own(helloServer.close);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    own(() => browser.close().catch(() => undefined));

    const loads: Record<Kind, Load[]> = { isengard: [], hello: [] };
    const urls: Record<Kind, string> = { isengard: `${stack.url}/training`, hello: `${helloServer.url}/` };
    for (let i = 0; i <= RUNS; i++) {
      // Alternate which page goes first so drift hits both alike; load 0 of each is the warm-up.
      const order: Kind[] = i % 2 === 0 ? ['isengard', 'hello'] : ['hello', 'isengard'];
      for (const kind of order) {
        const l = await load(browser, kind, urls[kind]);
        if (i > 0) loads[kind].push(l);
      }
    }
    const inPage = (k: Kind) => loads[k].map((l) => l.inPageMs);
    const wall = (k: Kind) => loads[k].map((l) => l.wallMs);
    const ttiOurs = median(inPage('isengard'));
    const ttiHello = median(inPage('hello'));

    return [
      {
        name: 'spa_initial_bundle_gzip',
        baseline: hello.gzipBytes,
        value: ours.gzipBytes,
        ratio: ratioOf(ours.gzipBytes, hello.gzipBytes),
        unit: 'bytes',
        notes:
          `index.html + the JS/CSS it references (script, stylesheet, modulepreload), each gzip -9 (node:zlib) and summed: ` +
          `ours ${ours.files.length} files, ${round(ours.rawBytes / 1024)} KiB raw; baseline = bare Vite React hello page (${hello.files.length} files, ` +
          `${round(hello.rawBytes / 1024)} KiB raw), same vite + plugin-react, this run` +
          (ours.unreferenced.length ? `; not counted (lazy): ${ours.unreferenced.join(', ')}` : '; no lazy chunks'),
      },
      {
        name: 'spa_training_tti',
        baseline: round(ttiHello),
        value: round(ttiOurs),
        ratio: ratioOf(ttiOurs, ttiHello),
        unit: 'ms',
        notes:
          `median of ${RUNS} (+1 warm-up discarded) chromium loads (WebUI omnibox popup off), fresh context each, uncompressed HTTP on 127.0.0.1: in-page performance.now() ` +
          `(from navigation start) at the first DOM mutation after which /training's Preset select and Start Training button are visible and enabled ` +
          `(includes /api/info and characters.list, one character seeded); baseline = hello page until its text shows (node:http static server). ` +
          `Range ${spread(inPage('isengard'))} vs ${spread(inPage('hello'))} ms; wall clock goto→ready median ${round(median(wall('isengard')))} vs ${round(median(wall('hello')))} ms`,
      },
    ];
  } finally {
    // Browser first, then servers and stack, then temp dirs.
    for (const fn of cleanups.reverse()) await fn();
  }
}
