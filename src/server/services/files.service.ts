/**
 * Which file on the volume a plain download route may serve: job outputs and dataset images, by
 * validated name only. Each refusal is an AppError with the routes' documented sentence. Files
 * are opened here, inside the real VOLUME_ROOT and never through a link (safe-path.ts); the
 * caller closes the handle.
 */
import type fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { CHARACTER_ID_PATTERN, IMAGE_NAME_PATTERN } from '../../shared/characters.js';
import { LOG_ID_PATTERN, OUTPUT_NAME_PATTERN } from '../../shared/jobs.js';
import { openInside } from '../../shared/node/safe-path.js';
import type { VolumePaths } from '../../shared/node/volume.js';

export interface OpenedFile {
  handle: FileHandle;
  stat: fs.Stats;
  /** The name to show or download it as. */
  name: string;
  /** Where it is on the volume (thumbnails are made from it). */
  file: string;
}

export const INVALID_JOB_ID = 'Invalid job ID format';
const FILE_NOT_FOUND = 'File not found';

/** The file opened for reading, or null: missing, not a regular file, or (through a link) outside the volume. */
export async function openVolumeFile(paths: VolumePaths, file: string): Promise<{ handle: FileHandle; stat: fs.Stats } | null> {
  return openInside(paths.root, file).catch(() => null);
}

export class FilesService {
  constructor(private readonly deps: { paths: VolumePaths; imagesDir: (characterId: string) => string }) {}

  async jobOutput(jobId: string, name: string): Promise<OpenedFile> {
    if (!LOG_ID_PATTERN.test(jobId)) throw new AppError('BAD_REQUEST', INVALID_JOB_ID);
    if (!OUTPUT_NAME_PATTERN.test(name) || name.includes('..')) throw new AppError('BAD_REQUEST', 'Invalid file name');
    let file: string;
    try {
      file = this.deps.paths.outputFile(jobId, name);
    } catch {
      throw AppError.notFound(FILE_NOT_FOUND); // an id too long to be a folder name: nothing there
    }
    return this.existing(file, name);
  }

  async characterImage(id: string, name: string): Promise<OpenedFile> {
    if (!CHARACTER_ID_PATTERN.test(id)) throw new AppError('BAD_REQUEST', 'Invalid character ID format');
    if (!IMAGE_NAME_PATTERN.test(name)) throw new AppError('BAD_REQUEST', 'Invalid image name');
    return this.existing(path.join(this.deps.imagesDir(id), name), name);
  }

  private async existing(file: string, name: string): Promise<OpenedFile> {
    const opened = await openVolumeFile(this.deps.paths, file);
    if (!opened) throw AppError.notFound(FILE_NOT_FOUND);
    return { ...opened, name, file };
  }
}
