/** Job outputs and dataset images, by validated name only; paths never leave VOLUME_ROOT. */
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IMAGE_NAME_PATTERN } from '../../shared/characters.js';
import { LOG_ID_PATTERN, OUTPUT_NAME_PATTERN } from '../../shared/jobs.js';
import type { Services } from '../services/index.js';
import { sendJson } from './respond.js';
import { sendFile } from './send-file.js';
import { openInside } from '../../shared/node/safe-path.js';

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.safetensors': 'application/octet-stream',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

async function serve(req: IncomingMessage, res: ServerResponse, root: string, file: string, name: string, download: boolean): Promise<void> {
  let opened: Awaited<ReturnType<typeof openInside>>;
  try {
    opened = await openInside(root, file); // a link out of the volume is "not found" too
  } catch {
    return sendJson(res, 404, { error: 'File not found' });
  }
  const { handle, stat } = opened;
  const type = CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
  try {
    await sendFile(req, res, handle, {
    'Content-Type': type,
    // An authenticated answer arrives marked no-store already; keep that.
    ...(res.hasHeader('Cache-Control') ? {} : { 'Cache-Control': 'private, max-age=3600' }),
    'X-Content-Type-Options': 'nosniff',
    ...(download || type === 'application/octet-stream' ? { 'Content-Disposition': `attachment; filename="${name}"` } : {}),
    }, stat);
  } finally {
    await handle.close();
  }
}

export async function jobFileRoute(req: IncomingMessage, res: ServerResponse, services: Services, jobId: string, name: string, url: URL): Promise<void> {
  if (!LOG_ID_PATTERN.test(jobId)) return sendJson(res, 400, { error: 'Invalid job ID format' });
  if (!OUTPUT_NAME_PATTERN.test(name) || name.includes('..')) return sendJson(res, 400, { error: 'Invalid file name' });
  let file: string;
  try {
    file = services.paths.outputFile(jobId, name);
  } catch {
    return sendJson(res, 404, { error: 'File not found' }); // an id too long to be a folder name: nothing there
  }
  await serve(req, res, services.paths.root, file, name, url.searchParams.get('download') === '1');
}

export async function characterImageRoute(req: IncomingMessage, res: ServerResponse, services: Services, id: string, name: string): Promise<void> {
  if (!/^char-[0-9a-f]{12}$/.test(id)) return sendJson(res, 400, { error: 'Invalid character ID format' });
  if (!IMAGE_NAME_PATTERN.test(name)) return sendJson(res, 400, { error: 'Invalid image name' });
  await serve(req, res, services.paths.root, path.join(services.characterStore.imagesDir(id), name), name, false);
}
