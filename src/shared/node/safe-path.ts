/**
 * Opening files on the shared volume without following links out of it. The volume is shared by
 * pods and workers and the server runs as root, so a symlink placed in it (`img-….png` →
 * /etc/passwd) must not turn a file route into a way to read the host. A file is opened only when
 * its real path (every link resolved) lies under the real VOLUME_ROOT, and the final open uses
 * O_NOFOLLOW so a link swapped in after the check is refused too.
 */
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export class OutsideVolumeError extends Error {
  readonly code = 'EOUTSIDE';
  constructor(readonly file: string) {
    super(`refusing ${file}: its real path is not a regular file inside the volume`);
    this.name = 'OutsideVolumeError';
  }
}

const realRoots = new Map<string, Promise<string>>();
function realRoot(root: string): Promise<string> {
  let real = realRoots.get(root);
  if (!real) {
    real = fsp.realpath(root);
    real.catch(() => realRoots.delete(root));
    realRoots.set(root, real);
  }
  return real;
}

/**
 * Opens `file` for reading when it is a regular file whose real path is under the real `root`.
 * Throws ENOENT-style errors for missing files and OutsideVolumeError for anything else refused.
 */
export async function openInside(root: string, file: string): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  const [real, rootReal] = await Promise.all([fsp.realpath(file), realRoot(root)]);
  if (!real.startsWith(rootReal + path.sep)) throw new OutsideVolumeError(file);
  return openRegularNoFollow(real, file);
}

/** Opens `file` with O_NOFOLLOW (O_NONBLOCK: a FIFO must not hang the open) and keeps it only when it is a regular file. */
async function openRegularNoFollow(file: string, shownAs = file): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw new OutsideVolumeError(shownAs);
    throw err;
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new OutsideVolumeError(shownAs);
  }
  return { handle, stat };
}

/** Why a hard link cannot be made where a copy can: EXDEV (another device), EPERM/ENOTSUP/EOPNOTSUPP (no hard links here), EMLINK (link limit). */
const LINK_REFUSED = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/** True when `dest` is now a hard link of `src`; false where the filesystem refuses links (copy instead). */
async function tryHardLink(src: string, dest: string): Promise<boolean> {
  try {
    await fsp.link(src, dest);
    return true;
  } catch (err) {
    if (!LINK_REFUSED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    return false;
  }
}

/** Copies a file from inside the volume to `dest`, never through a link at either end. */
export async function copyInside(root: string, src: string, dest: string): Promise<void> {
  const { handle } = await openInside(root, src);
  try {
    // `wx`: refuses to write through anything (a link included) already sitting at dest.
    await pipeline(handle.createReadStream({ autoClose: false }), fs.createWriteStream(dest, { flags: 'wx' }));
  } finally {
    await handle.close();
  }
}

export const isOutsideVolume = (err: unknown): err is OutsideVolumeError => err instanceof OutsideVolumeError;

/**
 * A hard link of a regular file inside the volume (no bytes copied) where the filesystem allows
 * it, else `copyInside`. The source must itself be a regular file (a symlink is refused, never
 * followed) whose real path is under the root; `link` never follows a link at the destination.
 */
export async function linkOrCopyInside(root: string, src: string, dest: string): Promise<'link' | 'copy'> {
  const [st, real, rootReal] = await Promise.all([fsp.lstat(src), fsp.realpath(src), realRoot(root)]);
  if (!st.isFile() || !real.startsWith(rootReal + path.sep)) throw new OutsideVolumeError(src);
  if (await tryHardLink(src, dest)) return 'link';
  await copyInside(root, src, dest);
  return 'copy';
}

/**
 * Hard link, or (across devices / where links are refused) a byte copy, of a regular file that the
 * worker did not write itself (a trainer's save folder, a LoRA being registered). `src` is opened
 * with O_NOFOLLOW and must be a regular file: a symlink dropped into a trainer's output folder is
 * refused instead of being copied (fs.copyFile follows links) and then served as a job output.
 * `dest` is created with `wx`, so nothing already sitting there is written through. EEXIST and
 * ENOENT propagate for the caller to judge.
 */
export async function linkOrCopyRegular(src: string, dest: string): Promise<'link' | 'copy'> {
  const st = await fsp.lstat(src);
  if (!st.isFile()) throw new OutsideVolumeError(src);
  if (await tryHardLink(src, dest)) return 'link';
  const { handle } = await openRegularNoFollow(src);
  try {
    await pipeline(handle.createReadStream({ autoClose: false }), fs.createWriteStream(dest, { flags: 'wx' }));
  } catch (err) {
    await fsp.rm(dest, { force: true }).catch(() => undefined);
    throw err;
  } finally {
    await handle.close();
  }
  return 'copy';
}
