/**
 * WebP thumbnails of character photos and job images, made by sharp on first request and cached
 * on the volume (`cache/thumbnails/…`). Concurrent requests for the same thumbnail wait for one
 * render (single-flight). The ETag comes from the source's size and mtime plus the width, so a
 * revalidation costs one stat and never a render.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import { openInside } from '../../shared/node/safe-path.js';

/** Widths the SPA asks for: grid tiles and the larger preview. */
export const THUMBNAIL_WIDTHS = [256, 768] as const;
export type ThumbnailWidth = (typeof THUMBNAIL_WIDTHS)[number];

export function parseThumbnailWidth(value: string): ThumbnailWidth {
  const width = Number(value);
  if (!(THUMBNAIL_WIDTHS as readonly number[]).includes(width) || String(width) !== value) {
    throw AppError.badParam('w', `Parameter 'w' must be one of ${THUMBNAIL_WIDTHS.join(', ')}`);
  }
  return width as ThumbnailWidth;
}

export interface Thumbnail {
  file: string;
  /** Open on the cached thumbnail; the caller closes it. */
  handle: FileHandle;
  etag: string;
  stat: fs.Stats;
}

export class ThumbnailService {
  private readonly inflight = new Map<string, Promise<void>>();
  /** Renders done by this process (what single-flight keeps at one per thumbnail). */
  renders = 0;

  constructor(
    private readonly paths: VolumePaths,
    private readonly logger: Logger,
  ) {}

  /**
   * The ETag the thumbnail of `source` at `width` has, or null when the source is missing or not
   * a regular file inside the volume (a link out of it is "not found" too).
   */
  async etagOf(source: string, width: ThumbnailWidth): Promise<{ etag: string; stat: fs.Stats } | null> {
    const opened = await openInside(this.paths.root, source).catch(() => null);
    if (!opened) return null;
    await opened.handle.close();
    const { stat } = opened;
    return { etag: `"w${width}-${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`, stat };
  }

  /**
   * `scope` and `parts` name the source in the cache (e.g. `characters`, id, image name); both
   * come from validated ids. Null when the source does not exist.
   */
  async get(source: string, width: ThumbnailWidth, scope: string, ...parts: string[]): Promise<Thumbnail | null> {
    const tag = await this.etagOf(source, width);
    if (!tag) return null;
    const file = this.paths.under('cache', 'thumbnails', scope, ...parts.slice(0, -1), `${parts.at(-1)}.${width}.webp`);
    const cached = await openInside(this.paths.root, file).catch(() => null);
    // A thumbnail older than its source belongs to an earlier file of that name.
    if (cached && cached.stat.mtimeMs >= tag.stat.mtimeMs) return { file, etag: tag.etag, ...cached };
    await cached?.handle.close();
    let render = this.inflight.get(file);
    if (!render) {
      render = this.render(source, file, width).finally(() => this.inflight.delete(file));
      this.inflight.set(file, render);
    }
    await render;
    return { file, etag: tag.etag, ...(await openInside(this.paths.root, file)) };
  }

  private async render(source: string, file: string, width: ThumbnailWidth): Promise<void> {
    this.renders++;
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      // From a buffer read through the volume check (libvips would also cache decodes by file
      // name, hiding a replaced file). rotate(): phone photos carry their orientation in EXIF.
      const { handle } = await openInside(this.paths.root, source);
      const input = await handle.readFile().finally(() => handle.close());
      await sharp(input).rotate().resize({ width, withoutEnlargement: true }).webp({ quality: 78 }).toFile(tmp);
      await fsp.rename(tmp, file);
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      this.logger.warn({ err, source }, 'thumbnail render failed');
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'This file has no thumbnail (not a readable image)', { cause: err });
    }
  }
}
