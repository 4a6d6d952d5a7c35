/**
 * The built SPA from dist/client; unknown non-file paths get index.html (client routes), with the
 * page's chunks named (page-preloads.ts) and, when `bootData` is given, its first data inlined
 * (page-boot-data.ts).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../shared/errors.js';
import { createAssetCache } from './asset-cache.js';
import type { PageBootData } from './page-boot-data.js';
import { pageHtml } from './page-preloads.js';
import { sendFile } from './send-file.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

export function createStaticRoute(clientDir: string, bootData: PageBootData | null = null) {
  const root = path.resolve(clientDir);
  const indexFile = path.join(root, 'index.html');
  const pageHtmlFor = pageHtml(root);
  const assetsDir = path.join(root, 'assets');
  const assets = createAssetCache();
  return async (req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new AppError('METHOD_NOT_SUPPORTED', 'Method not allowed');
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      throw new AppError('BAD_REQUEST', 'Invalid path');
    }
    const candidate = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
    const inside = candidate.startsWith(root + path.sep);
    // Hashed build files: one write from memory (asset-cache.ts); a Range request streams from disk.
    if (candidate.startsWith(assetsDir + path.sep) && req.headers.range === undefined) {
      const asset = await assets.get(candidate);
      if (asset) {
        res.writeHead(200, {
          'Content-Type': TYPES[path.extname(candidate)] ?? 'application/octet-stream',
          'Content-Length': String(asset.body.length),
          'Cache-Control': IMMUTABLE,
          'X-Content-Type-Options': 'nosniff',
          'Accept-Ranges': 'bytes',
          'Last-Modified': asset.mtime.toUTCString(),
        });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
        return;
      }
    }
    let file = path.join(root, 'index.html');
    let stat: fs.Stats | null = null;
    if (inside) stat = await fsp.stat(candidate).catch(() => null);
    if (stat?.isFile()) file = candidate;
    else if (path.extname(decoded) && !decoded.endsWith('.html')) throw AppError.notFound('Not found');
    stat = await fsp.stat(file).catch(() => null);
    if (!stat) throw AppError.notFound('The web app is not built; run ./start.sh');
    const hashed = file.includes(`${path.sep}assets${path.sep}`);
    const html = file === indexFile && req.method === 'GET' ? pageHtmlFor(decoded, stat.mtimeMs) : null;
    const data = html && bootData ? bootData(req, decoded) : null;
    if (html && data) {
      // Data of this moment: no cache may keep it. Everything before </body> goes out at once,
      // so the browser fetches the scripts while the data is gathered; module scripts run only
      // after the whole document is parsed, so they find the data there.
      res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      let at = html.lastIndexOf('</body>');
      if (at < 0) at = html.length;
      res.write(html.subarray(0, at));
      res.end(Buffer.concat([Buffer.from(await data), html.subarray(at)]));
      return;
    }
    if (html) {
      res.writeHead(200, { 'Content-Type': TYPES['.html']!, 'Content-Length': String(html.length), 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
      res.end(html);
      return;
    }
    await sendFile(req, res, file, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': hashed ? IMMUTABLE : 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    }, stat);
  };
}
