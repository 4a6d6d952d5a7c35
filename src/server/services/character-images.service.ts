/**
 * Adding images to a character's dataset. Each incoming file is streamed to a temp file under
 * the character folder, judged by its content (image-judge.ts), then renamed to a generated
 * name with its caption beside it: client file names never reach the disk. Past
 * UPLOAD_LIMITS.maxFiles, or past the character's UPLOAD_LIMITS.maxImagesPerCharacter, each further
 * file is listed as rejected. When the files cannot be read
 * to their end (a malformed or broken-off body), or the character is gone by the time they are
 * stored, nothing is kept: no image, no caption, no temp file.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../../shared/errors.js';
import { UPLOAD_LIMITS } from '../../shared/characters.js';
import type { UploadResult } from '../../shared/http-api.js';
import { captionFileName, type CharacterStore } from '../../shared/node/character-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { judgeImage } from './image-judge.js';

/** One file of an upload, as the transport hands it over. */
export interface IncomingFile {
  /** The client's name, for the result list only. */
  filename: string | undefined;
  stream: Readable;
  /** True when the transport cut the file off at UPLOAD_LIMITS.maxBytes. */
  truncated(): boolean;
}

/** The transport stopped listing files one by one (too many in one request). */
export interface MoreFiles {
  moreFiles: true;
}

export type UploadPart = IncomingFile | MoreFiles;

/** The transport could not read the body to its end; nothing of the request is kept. */
export class MalformedUploadError extends Error {}

const EXT = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;
export const TOO_MANY_FILES = `At most ${UPLOAD_LIMITS.maxFiles} files per upload`;
const CHARACTER_FULL = `At most ${UPLOAD_LIMITS.maxImagesPerCharacter} images per character`;
/** What the client learns when the disk step fails; the path and errno go to the server log only. */
const STORE_FAILED = 'Could not store the file (the character may have been deleted meanwhile, or the volume is full)';

/** Display-safe version of a client file name for the result list (never used as a path). */
const displayName = (name: string | undefined) => (name ?? '').replace(/\p{Cc}/gu, '').slice(0, 255) || '(unnamed)';

export class CharacterImagesService {
  constructor(private readonly deps: { characters: CharacterStore; paths: VolumePaths; logger: Logger }) {}

  async addImages(id: string, parts: AsyncIterable<UploadPart>): Promise<UploadResult> {
    const character = await this.deps.characters.require(id);
    const room = UPLOAD_LIMITS.maxImagesPerCharacter - character.images.length;
    if (room <= 0) {
      throw AppError.badParam('images', `Parameter 'images': character '${id}' already has ${character.images.length} images; ${CHARACTER_FULL}`);
    }
    const imagesDir = this.deps.characters.imagesDir(id);
    const tmpDir = path.join(this.deps.paths.characterDir(id), '.incoming');
    const result: UploadResult = { uploaded: [], rejected: [] };
    const pending: Promise<void>[] = [];
    const discard = (images: { name: string }[]) =>
      Promise.all(images.flatMap((image) => [image.name, captionFileName(image.name)].map((f) => fsp.rm(path.join(imagesDir, f), { force: true }))));
    const discardStored = () => discard(result.uploaded);

    let files = 0;
    let madeDirs = false;
    try {
      for await (const part of parts) {
        if ('moreFiles' in part) {
          result.rejected.push({ filename: '(more files)', reason: TOO_MANY_FILES });
          continue;
        }
        const filename = displayName(part.filename);
        if (++files > UPLOAD_LIMITS.maxFiles) {
          part.stream.resume();
          result.rejected.push({ filename, reason: TOO_MANY_FILES });
          continue;
        }
        if (files > room) {
          part.stream.resume();
          result.rejected.push({ filename, reason: CHARACTER_FULL });
          continue;
        }
        if (!madeDirs) {
          await fsp.mkdir(imagesDir, { recursive: true });
          await fsp.mkdir(tmpDir, { recursive: true });
          madeDirs = true;
        }
        // The file is read while the next part waits; judging overlaps with reading the next file.
        pending.push(
          this.store(id, part, tmpDir, imagesDir).then(
            (verdict) =>
              void ('reason' in verdict
                ? result.rejected.push({ filename, reason: verdict.reason })
                : result.uploaded.push({ ...verdict, caption: character.trigger_word, filename })),
          ),
        );
      }
    } catch (err) {
      await Promise.allSettled(pending);
      await discardStored();
      throw err instanceof MalformedUploadError
        ? AppError.badParam('images', `Parameter 'images' ${err.message}`)
        : err;
    }
    await Promise.allSettled(pending);
    if (result.uploaded.length === 0 && result.rejected.length === 0) throw AppError.badParam('images', "Parameter 'images' holds no files");
    if (result.uploaded.length > 0) {
      const overflow: { name: string }[] = [];
      try {
        for (const image of result.uploaded) await this.deps.characters.writeCaption(id, image.name, image.caption);
        await this.deps.characters.mutate(id, (c) => {
          // Uploads racing each other: the cap holds for what is really stored.
          const fits = Math.max(0, UPLOAD_LIMITS.maxImagesPerCharacter - c.images.length);
          for (const extra of result.uploaded.splice(fits)) {
            result.rejected.push({ filename: extra.filename, reason: CHARACTER_FULL });
            overflow.push(extra);
          }
          return { ...c, images: [...c.images, ...result.uploaded.map(({ filename: _client, ...image }) => image)], updated_at: new Date().toISOString() };
        });
        await discard(overflow);
      } catch (err) {
        await Promise.all([discardStored(), discard(overflow)]); // e.g. the character was deleted meanwhile: no orphaned files
        throw err;
      }
    }
    return result;
  }

  /** Streams one file to a temp file, judges it, and renames it into the dataset when it is an image. */
  private async store(
    characterId: string,
    part: IncomingFile,
    tmpDir: string,
    imagesDir: string,
  ): Promise<{ name: string; width: number; height: number } | { reason: string }> {
    const tmp = path.join(tmpDir, `${randomBytes(8).toString('hex')}.part`);
    let bytes = 0;
    part.stream.on('data', (c: Buffer) => (bytes += c.length));
    try {
      await pipeline(part.stream, fs.createWriteStream(tmp));
      const verdict = await judgeImage(tmp, bytes, part.truncated());
      if (!verdict.ok) return { reason: verdict.reason };
      const name = `img-${randomBytes(6).toString('hex')}.${EXT[verdict.format]}`;
      // Only the image itself is stored: a polyglot's appended payload is cut off here.
      if (verdict.imageBytes < bytes) await fsp.truncate(tmp, verdict.imageBytes);
      await fsp.rename(tmp, path.join(imagesDir, name));
      return { name, width: verdict.width, height: verdict.height };
    } catch (err) {
      this.deps.logger.warn({ err, character: characterId }, 'upload: could not store a file');
      return { reason: STORE_FAILED };
    } finally {
      await fsp.rm(tmp, { force: true });
    }
  }
}
