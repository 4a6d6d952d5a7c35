/**
 * Characters on the shared volume: `characters/{id}/character.json` plus `images/{name}` with a
 * caption `images/{basename}.txt` beside each (ai-toolkit `caption_ext: txt`).
 */
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Character } from '../characters.js';
import { listDir, readJson, writeFileAtomic } from './atomic-write.js';
import type { VolumePaths } from './volume.js';
import type { LockFn } from './redis-lock.js';

/**
 * Hard link where the volume allows it, else a copy. Only regular files: a symlink planted in a
 * character folder is refused, never followed.
 */
export async function linkOrCopyFile(src: string, dest: string): Promise<'link' | 'copy'> {
  const st = await fs.lstat(src);
  if (!st.isFile()) throw new Error(`${path.basename(src)} is not a regular file`);
  try {
    await fs.link(src, dest);
    return 'link';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      await fs.rm(dest, { force: true });
      return linkOrCopyFile(src, dest);
    }
    if (code === 'ENOENT') throw err;
    // EXDEV (other device), EPERM/ENOTSUP (no hard links on this filesystem), EMLINK (link limit).
    await fs.copyFile(src, dest, fsConstants.COPYFILE_EXCL);
    return 'copy';
  }
}

/** Every regular file of `srcDir` into `destDir` (no recursion, symlinks skipped). */
export async function linkDirFiles(srcDir: string, destDir: string): Promise<number> {
  await fs.mkdir(destDir, { recursive: true });
  let n = 0;
  for (const entry of await fs.readdir(srcDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    await linkOrCopyFile(path.join(srcDir, entry.name), path.join(destDir, entry.name));
    n++;
  }
  return n;
}

export const captionFileName = (imageName: string) => `${path.parse(imageName).name}.txt`;

export class CharacterStore {
  private readonly locks = new Map<string, Promise<unknown>>();

  /** `crossProcess` serialises edits between API processes too (a Redis lock); in-process order is kept either way. */
  constructor(
    private readonly paths: VolumePaths,
    private readonly crossProcess?: LockFn,
  ) {}

  /** Read-modify-write of one character, serialised per id so concurrent edits don't lose each other. */
  async mutate(id: string, fn: (current: Character) => Promise<Character> | Character): Promise<Character> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const edit = async () => {
      const next = await fn(await this.require(id));
      await this.save(next);
      return next;
    };
    const run = previous.then(() => (this.crossProcess ? this.crossProcess(`character:${id}`, edit) : edit()));
    const settled = run.catch(() => undefined);
    this.locks.set(id, settled);
    void settled.then(() => this.locks.get(id) === settled && this.locks.delete(id));
    return run;
  }

  private file(id: string): string {
    return path.join(this.paths.characterDir(id), 'character.json');
  }

  imagesDir(id: string): string {
    return path.join(this.paths.characterDir(id), 'images');
  }

  async get(id: string): Promise<Character | null> {
    return readJson<Character>(this.file(id));
  }

  async require(id: string): Promise<Character> {
    const c = await this.get(id);
    if (!c) throw AppError.notFound(`Character '${id}' not found`);
    return c;
  }

  async list(): Promise<Character[]> {
    const entries = await listDir(this.paths.charactersDir);
    const all = await Promise.all(entries.filter((e) => e.startsWith('char-')).map((e) => this.get(e).catch(() => null)));
    return all.filter((c): c is Character => c !== null).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  async save(character: Character): Promise<void> {
    await writeFileAtomic(this.file(character.id), JSON.stringify(character, null, 2));
  }

  async writeCaption(id: string, imageName: string, caption: string): Promise<void> {
    await writeFileAtomic(path.join(this.imagesDir(id), captionFileName(imageName)), caption);
  }

  async delete(id: string): Promise<void> {
    await fs.rm(this.paths.characterDir(id), { recursive: true, force: true });
  }

  /**
   * Puts images + captions into `dest` so later edits don't change a running job. Images are
   * hard-linked (they are never rewritten in place: an edit is a new upload), captions written.
   */
  async snapshotDataset(character: Character, dest: string): Promise<{ images: number; linked: number }> {
    await fs.mkdir(dest, { recursive: true });
    const src = this.imagesDir(character.id);
    let linked = 0;
    for (const image of character.images) {
      if ((await linkOrCopyFile(path.join(src, image.name), path.join(dest, image.name))) === 'link') linked++;
      await fs.writeFile(path.join(dest, captionFileName(image.name)), image.caption);
    }
    return { images: character.images.length, linked };
  }
}
