/** GET|HEAD of job outputs and dataset images; FilesService decides which file, if any. */
import path from 'node:path';
import type { StoredFile } from '../services/files.service.js';
import type { FilesService } from '../services/files.service.js';
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

async function serve({ req, res }: RouteRequest, stored: StoredFile, download: boolean): Promise<void> {
  const type = CONTENT_TYPES[path.extname(stored.name).toLowerCase()] ?? 'application/octet-stream';
  await sendFile(req, res, stored.file, {
    'Content-Type': type,
    'Cache-Control': 'private, max-age=3600',
    'X-Content-Type-Options': 'nosniff',
    ...(download || type === 'application/octet-stream' ? { 'Content-Disposition': `attachment; filename="${stored.name}"` } : {}),
  }, stored.stat);
}

export const jobFileRoute = (files: FilesService) => async (r: RouteRequest) =>
  serve(r, await files.jobOutput(r.params.jobId!, r.params.name!), r.url.searchParams.get('download') === '1');

export const characterImageRoute = (files: FilesService) => async (r: RouteRequest) =>
  serve(r, await files.characterImage(r.params.id!, r.params.name!), false);
