/** index.html per SPA path: modulepreload links for that page's chunks from Vite's manifest. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/helpers/test-config.js';
import { pageHtml } from './page-preloads.js';

const dir = tempDir('isengard-preloads-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const HTML = '<html><head><script type="module" src="/assets/index-1.js"></script></head><body></body></html>';
fs.writeFileSync(path.join(dir, 'index.html'), HTML);

describe('pageHtml', () => {
  it('without a manifest: nothing (index.html goes out as built)', () => {
    expect(pageHtml(dir)('/training', 1)).toBeNull();
  });

  it("names the page's chunk and its imports, not the entry, per path", () => {
    fs.mkdirSync(path.join(dir, '.vite'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, '.vite', 'manifest.json'),
      JSON.stringify({
        'index.html': { file: 'assets/index-1.js', isEntry: true, dynamicImports: ['pages/TrainingPage.tsx', 'pages/JobsPage.tsx'] },
        'pages/TrainingPage.tsx': { file: 'assets/TrainingPage-2.js', imports: ['index.html', '_JobList-3.js'] },
        'pages/JobsPage.tsx': { file: 'assets/JobsPage-4.js', imports: ['index.html', '_JobList-3.js'] },
        '_JobList-3.js': { file: 'assets/JobList-3.js', imports: ['index.html'] },
      }),
    );
    const html = pageHtml(dir);
    const links = (p: string) => [...html(p, 2)!.toString().matchAll(/<link rel="modulepreload" crossorigin href="([^"]+)">/g)].map((m) => m[1]);
    expect(links('/training')).toEqual(['/assets/TrainingPage-2.js', '/assets/JobList-3.js']);
    expect(links('/jobs/generation-0123456789ab')).toEqual(['/assets/JobsPage-4.js', '/assets/JobList-3.js']);
    expect(links('/characters')).toEqual([]); // not in this manifest
    expect(html('/training', 2)!.toString()).toContain('<script type="module" src="/assets/index-1.js"></script>');
  });
});
