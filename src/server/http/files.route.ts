/** GET|HEAD of job outputs and dataset images; FilesService decides which file, if any, and opens it. */
import path from 'node:path';
import type { FilesService, OpenedFile } from '../services/files.service.js';
import type { RouteRequest } from './route-table.js';
import { sendFile } from './send-file.js';

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

export const jobFileRoute = (files: FilesService) => async (r: RouteRequest) =>
  serve(r, await files.jobOutput(r.params.jobId!, r.params.name!), r.url.searchParams.get('download') === '1');

export const characterImageRoute = (files: FilesService) => async (r: RouteRequest) =>
  serve(r, await files.characterImage(r.params.id!, r.params.name!), false);
