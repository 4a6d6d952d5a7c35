/** GET|HEAD of job outputs and dataset images; FilesService decides which file, if any, and opens it. */
import path from 'node:path';
import type { FilesService, OpenedFile } from '../services/files.service.js';
import type { RouteRequest } from './route-table.js';
import { sendFile } from './send-file.js';
import { AppError } from '../../shared/errors.js';
import { parseThumbnailWidth, type ThumbnailService } from '../services/thumbnails.service.js';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.safetensors': 'application/octet-stream',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

async function serve({ req, res }: RouteRequest, opened: OpenedFile, download: boolean): Promise<void> {
  const type = CONTENT_TYPES[path.extname(opened.name).toLowerCase()] ?? 'application/octet-stream';
  try {
    await sendFile(req, res, opened.handle, {
      'Content-Type': type,
      // An authenticated answer arrives marked no-store already; keep that.
      ...(res.hasHeader('Cache-Control') ? {} : { 'Cache-Control': 'private, max-age=3600' }),
      'X-Content-Type-Options': 'nosniff',
      ...(download || type === 'application/octet-stream' ? { 'Content-Disposition': `attachment; filename="${opened.name}"` } : {}),
    }, opened.stat);
  } finally {
    await opened.handle.close();
  }
}

const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

/**
 * `?w=256|768`: a WebP thumbnail instead of the original. Names are immutable (a new upload or
 * output gets a new name), so thumbnails are cached for a year and revalidated by ETag.
 */
async function serveThumbnail({ req, res }: RouteRequest, thumbnails: ThumbnailService, source: OpenedFile, w: string, cacheName: string[]): Promise<void> {
  await source.handle.close(); // FilesService found and checked it; the thumbnail service reads it itself
  const width = parseThumbnailWidth(w);
  if (!IMAGE_EXT.test(source.name)) throw AppError.badParam('w', "Parameter 'w' applies to images only");
  const headers = {
    // An authenticated answer arrives marked no-store already; keep that (the ETag still saves renders).
    ...(res.hasHeader('Cache-Control') ? {} : { 'Cache-Control': 'private, max-age=31536000, immutable' }),
    'X-Content-Type-Options': 'nosniff',
  };
  const tag = await thumbnails.etagOf(source.file, width);
  if (!tag) throw AppError.notFound('File not found');
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === tag.etag)) {
    res.writeHead(304, { ...headers, ETag: tag.etag });
    return void res.end();
  }
  const thumb = await thumbnails.get(source.file, width, cacheName[0]!, ...cacheName.slice(1));
  if (!thumb) throw AppError.notFound('File not found');
  try {
    await sendFile(req, res, thumb.handle, { ...headers, 'Content-Type': 'image/webp', ETag: thumb.etag }, thumb.stat);
  } finally {
    await thumb.handle.close();
  }
}

export const jobFileRoute = (files: FilesService, thumbnails: ThumbnailService) => async (r: RouteRequest) => {
  const opened = await files.jobOutput(r.params.jobId!, r.params.name!);
  const w = r.url.searchParams.get('w');
  if (w !== null) return serveThumbnail(r, thumbnails, opened, w, ['outputs', r.params.jobId!, opened.name]);
  return serve(r, opened, r.url.searchParams.get('download') === '1');
};

export const characterImageRoute = (files: FilesService, thumbnails: ThumbnailService) => async (r: RouteRequest) => {
  const opened = await files.characterImage(r.params.id!, r.params.name!);
  const w = r.url.searchParams.get('w');
  if (w !== null) return serveThumbnail(r, thumbnails, opened, w, ['characters', r.params.id!, opened.name]);
  return serve(r, opened, false);
};
