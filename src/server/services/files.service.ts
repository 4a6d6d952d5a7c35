/**
 * Which file on the volume a plain download route may serve: job outputs and dataset images, by
 * validated name only. Each refusal is an AppError with the routes' documented sentence; paths
 * never leave VOLUME_ROOT (VolumePaths checks every segment).
 */
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import { CHARACTER_ID_PATTERN, IMAGE_NAME_PATTERN } from '../../shared/characters.js';
import { LOG_ID_PATTERN, OUTPUT_NAME_PATTERN } from '../../shared/jobs.js';
import type { VolumePaths } from '../../shared/node/volume.js';

export interface StoredFile {
  file: string;
  name: string;
  stat: fs.Stats;
}

export const INVALID_JOB_ID = 'Invalid job ID format';
const FILE_NOT_FOUND = 'File not found';

/** The stat of a regular file, or null (missing, a folder, unreadable). */
export async function regularFile(file: string): Promise<fs.Stats | null> {
  const stat = await fsp.stat(file).catch(() => null);
  return stat?.isFile() ? stat : null;
}

export class FilesService {
  constructor(private readonly deps: { paths: VolumePaths; imagesDir: (characterId: string) => string }) {}

  async jobOutput(jobId: string, name: string): Promise<StoredFile> {
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

  async characterImage(id: string, name: string): Promise<StoredFile> {
    if (!CHARACTER_ID_PATTERN.test(id)) throw new AppError('BAD_REQUEST', 'Invalid character ID format');
    if (!IMAGE_NAME_PATTERN.test(name)) throw new AppError('BAD_REQUEST', 'Invalid image name');
    return this.existing(path.join(this.deps.imagesDir(id), name), name);
  }

  private async existing(file: string, name: string): Promise<StoredFile> {
    const stat = await regularFile(file);
    if (!stat) throw AppError.notFound(FILE_NOT_FOUND);
    return { file, name, stat };
  }
}
