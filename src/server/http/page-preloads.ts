/**
 * index.html as served for one SPA path: with `<link rel="modulepreload">` for the chunks of the
 * page that renders it (shared/spa-pages.ts), read from Vite's build manifest. The browser then
 * fetches the page's code alongside the entry script instead of after running it. Without a
 * manifest (an older build) index.html goes out as built.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pageOfPath, type SpaPage } from '../../shared/spa-pages.js';

interface ManifestChunk {
  file: string;
  imports?: string[];
  isEntry?: boolean;
}

/** `builtAt`: index.html's mtime; a rebuild (new chunk names) while the server runs is read again. */
export function pageHtml(clientDir: string): (pathname: string, builtAt: number) => Buffer | null {
  const manifestFile = path.join(clientDir, '.vite', 'manifest.json');
  const cache = new Map<SpaPage, Buffer>();
  let base: { html: string; manifest: Record<string, ManifestChunk> } | null | undefined;
  let loadedAt = NaN;
  const load = (builtAt: number) => {
    if (base !== undefined && builtAt === loadedAt) return base;
    loadedAt = builtAt;
    cache.clear();
    try {
      base = {
        html: fs.readFileSync(path.join(clientDir, 'index.html'), 'utf8'),
        manifest: JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, ManifestChunk>,
      };
    } catch {
      base = null;
    }
    return base;
  };

  return (pathname, builtAt) => {
    const b = load(builtAt);
    if (!b) return null;
    const page = pageOfPath(pathname);
    let html = cache.get(page);
    if (!html) {
      // The page's chunk and what it imports, minus the entry (index.html loads that already).
      const files: string[] = [];
      const visit = (key: string) => {
        const chunk = b.manifest[key];
        if (!chunk || chunk.isEntry || files.includes(chunk.file)) return;
        files.push(chunk.file);
        for (const dep of chunk.imports ?? []) visit(dep);
      };
      visit(`pages/${page}.tsx`);
      const links = files.map((f) => `    <link rel="modulepreload" crossorigin href="/${f}">\n`).join('');
      html = Buffer.from(b.html.replace(/[ \t]*<\/head>/, (line) => links + line));
      cache.set(page, html);
    }
    return html;
  };
}
