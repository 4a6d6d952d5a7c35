/**
 * POST /api/characters/:id/images (docs/contracts.md): streaming multipart. Each file is streamed to a
 * temp file under the character folder (size-capped), judged by content, then renamed to a
 * generated name. Client file names never reach the disk. Past UPLOAD_LIMITS.maxFiles each further
 * file is listed as rejected (up to LISTED_FILES_MAX, then one summary row). A request that breaks
 * off or turns out malformed stores nothing and leaves no temp file or open descriptor behind.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import busboy from 'busboy';
import { AppError } from '../../shared/errors.js';
import { CHARACTER_ID_PATTERN, UPLOAD_LIMITS, type CharacterImage } from '../../shared/characters.js';
import type { Services } from '../services/index.js';
import { judgeImage } from '../services/image-intake.js';
import { captionFileName } from '../../shared/node/character-store.js';
import { sendJson } from './respond.js';

const EXT = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;
/** Files named individually in `rejected`; beyond this busboy skips them and one summary row stands for the rest. */
export const LISTED_FILES_MAX = UPLOAD_LIMITS.maxFiles * 10;
const TOO_MANY = `At most ${UPLOAD_LIMITS.maxFiles} files per upload`;

export interface UploadResult {
  /** `filename` is the client's name, echoed for display only; the stored name is `name`. */
  uploaded: (CharacterImage & { filename: string })[];
  rejected: { filename: string; reason: string }[];
}

/** Display-safe version of a client file name for the rejection list (never used as a path). */
const displayName = (name: string | undefined) => (name ?? '').replace(/\p{Cc}/gu, '').slice(0, 255) || '(unnamed)';

export async function uploadRoute(req: IncomingMessage, res: ServerResponse, services: Services, id: string): Promise<void> {
  if (!CHARACTER_ID_PATTERN.test(id)) throw AppError.badParam('id', "Parameter 'id' is not a valid id");
  const character = await services.characterStore.require(id);
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw AppError.badParam('images', "Parameter 'images' must be sent as multipart/form-data");
  }
  const imagesDir = services.characterStore.imagesDir(id);
  const tmpDir = path.join(services.paths.characterDir(id), '.incoming');
  await fsp.mkdir(imagesDir, { recursive: true });
  await fsp.mkdir(tmpDir, { recursive: true });

  const result: UploadResult = { uploaded: [], rejected: [] };
  const pending: Promise<void>[] = [];
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { fileSize: UPLOAD_LIMITS.maxBytes, files: LISTED_FILES_MAX, fields: 20, fieldSize: 4096 } });
  } catch {
    throw AppError.badParam('images', "Parameter 'images' must be sent as multipart/form-data with a boundary");
  }
  let files = 0;
  bb.on('file', (_field, stream, info) => {
    const filename = displayName(info.filename);
    if (++files > UPLOAD_LIMITS.maxFiles) {
      stream.resume();
      return void result.rejected.push({ filename, reason: TOO_MANY });
    }
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
    let bytes = 0;
    stream.on('data', (c: Buffer) => (bytes += c.length));
    pending.push(
      (async () => {
        try {
          await pipeline(stream, fs.createWriteStream(tmp));
          const verdict = await judgeImage(tmp, bytes, stream.truncated === true);
          if (!verdict.ok) return void result.rejected.push({ filename, reason: verdict.reason });
          const name = `img-${randomBytes(6).toString('hex')}.${EXT[verdict.format]}`;
          // Only the image itself is stored: a polyglot's appended payload is cut off here.
          if (verdict.imageBytes < bytes) await fsp.truncate(tmp, verdict.imageBytes);
          await fsp.rename(tmp, path.join(imagesDir, name));
          result.uploaded.push({ name, width: verdict.width, height: verdict.height, caption: character.trigger_word, filename });
        } catch (err) {
          result.rejected.push({ filename, reason: `Could not store the file: ${(err as Error).message}` });
        } finally {
          await fsp.rm(tmp, { force: true });
        }
      })(),
    );
  });
  bb.on('filesLimit', () => result.rejected.push({ filename: '(more files)', reason: TOO_MANY }));
  const finished = new Promise<void>((resolve, reject) => {
    bb.on('close', resolve);
    bb.on('error', reject);
  });
  // A client that disconnects mid-body never ends the pipe: without this the file stream, its
  // descriptor and the temp file would stay open forever.
  const onClose = () => {
    if (!req.complete) bb.destroy(new Error('the request was aborted'));
  };
  req.on('close', onClose);
  req.on('error', onClose);
  req.pipe(bb);
  const discardStored = () =>
    Promise.all(
      result.uploaded.flatMap((image) => [image.name, captionFileName(image.name)].map((f) => fsp.rm(path.join(imagesDir, f), { force: true }))),
    );
  try {
    await finished;
  } catch (err) {
    await Promise.allSettled(pending);
    await discardStored();
    throw AppError.badParam('images', `Parameter 'images' is not a valid multipart body: ${(err as Error).message}`);
  } finally {
    req.off('close', onClose);
    req.off('error', onClose);
  }
  await Promise.allSettled(pending);
  if (result.uploaded.length === 0 && result.rejected.length === 0) throw AppError.badParam('images', "Parameter 'images' holds no files");
  if (result.uploaded.length > 0) {
    try {
      for (const image of result.uploaded) await services.characterStore.writeCaption(id, image.name, image.caption);
      await services.characterStore.mutate(id, (c) => ({ ...c, images: [...c.images, ...result.uploaded.map(({ filename: _client, ...image }) => image)], updated_at: new Date().toISOString() }));
    } catch (err) {
      await discardStored(); // e.g. the character was deleted meanwhile: no orphaned files
      throw err;
    }
  }
  sendJson(res, 200, result);
}
