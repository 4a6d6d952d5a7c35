/**
 * Characters on the shared volume: `characters/{id}/character.json` plus `images/{name}` with a
 * caption `images/{basename}.txt` beside each (ai-toolkit `caption_ext: txt`).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../errors.js';
import type { Character } from '../characters.js';
import { listDir, readJson, writeFileAtomic } from './atomic-write.js';
import { isOutsideVolume, linkOrCopyInside } from './safe-path.js';
import type { VolumePaths } from './volume.js';
import type { LockFn } from './redis-lock.js';

/** Every regular file of `srcDir` into `destDir`, hard-linked where possible (no recursion, links refused). */
export async function linkDirFiles(root: string, srcDir: string, destDir: string): Promise<number> {
  await fs.mkdir(destDir, { recursive: true });
  let n = 0;
  for (const entry of await fs.readdir(srcDir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    await linkOrCopyInside(root, path.join(srcDir, entry.name), path.join(destDir, entry.name));
    n++;
  }
  return n;
}

const serialize = (character: Character) => JSON.stringify(character, null, 2);

export const captionFileName = (imageName: string) => `${path.parse(imageName).name}.txt`;

export class CharacterStore {
  private readonly locks = new Map<string, Promise<unknown>>();

  /** `crossProcess` serialises edits between API processes too (a Redis lock); in-process order is kept either way. */
  constructor(
    private readonly paths: VolumePaths,
    private readonly crossProcess?: LockFn,
  ) {}

  /**
   * Read-modify-write of one character, serialised per id so concurrent edits don't lose each other.
   * An edit that changes nothing (accepting captions already accepted) writes nothing.
   */
  async mutate(id: string, fn: (current: Character) => Promise<Character> | Character): Promise<Character> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const edit = async () => {
      const current = await this.require(id);
      // Read before `fn`, which may edit `current` in place and return it.
      const before = serialize(current);
      const next = await fn(current);
      const after = serialize(next);
      if (after !== before) await writeFileAtomic(this.file(id), after);
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

  /**
   * Every character. A folder without character.json (being created or deleted right now) is
   * skipped; any other read error fails the whole list: an answer with entries silently missing
   * would look like lost data.
   */
  async list(): Promise<Character[]> {
    const entries = await listDir(this.paths.charactersDir);
    const all = await Promise.all(
      entries
        .filter((e) => e.startsWith('char-'))
        .map((e) =>
          this.get(e).catch((err: unknown) => {
            const reason = (err as NodeJS.ErrnoException).code ?? (err instanceof SyntaxError ? 'invalid JSON' : 'read error');
            throw new AppError('SERVICE_UNAVAILABLE', `Could not read character '${e}' (${reason}); the list is incomplete, try again`, { cause: err });
          }),
        ),
    );
    return all.filter((c): c is Character => c !== null).sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  async save(character: Character): Promise<void> {
    await writeFileAtomic(this.file(character.id), serialize(character));
  }

  async writeCaption(id: string, imageName: string, caption: string): Promise<void> {
    await writeFileAtomic(path.join(this.imagesDir(id), captionFileName(imageName)), caption);
  }

  async delete(id: string): Promise<void> {
    await fs.rm(this.paths.characterDir(id), { recursive: true, force: true });
  }

  /**
   * Puts images + captions into `dest` so later edits don't change a running job. Images are
   * hard-linked where the volume allows it (they are never rewritten in place: an edit is a new
   * upload), else copied; an image that is a link, or leads out of the volume, is refused.
   */
  async snapshotDataset(character: Character, dest: string): Promise<{ images: number; linked: number }> {
    await fs.mkdir(dest, { recursive: true });
    const src = this.imagesDir(character.id);
    let linked = 0;
    for (const image of character.images) {
      try {
        if ((await linkOrCopyInside(this.paths.root, path.join(src, image.name), path.join(dest, image.name))) === 'link') linked++;
      } catch (err) {
        if (!isOutsideVolume(err)) throw err;
        throw AppError.badParam('character_id', `Parameter 'character_id': image '${image.name}' of character '${character.id}' is not a regular file inside the volume; delete it and upload it again`);
      }
      await fs.writeFile(path.join(dest, captionFileName(image.name)), image.caption, { flag: 'wx' });
    }
    return { images: character.images.length, linked };
  }
}
