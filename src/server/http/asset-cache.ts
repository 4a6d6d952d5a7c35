/**
 * The built SPA's content-hashed files (dist/client/assets), kept in memory after their first
 * read and answered with one write. A page load asks for the entry script, the style sheet and
 * the opened page's chunks at once; streamed from disk (send-file.ts) each took a file open and
 * a read per 64 KiB on libuv's pool, and the browser can run no script before the entry script
 * has arrived whole. A hashed name never changes content, so a copy never goes stale; what a
 * rebuild leaves behind stays within the total bound, past which files are read each time.
 */
import fsp from 'node:fs/promises';

export interface CachedAsset {
  body: Buffer;
  mtime: Date;
}

export interface AssetCache {
  /** The file's bytes, from memory after the first read; null when it is not a file or too large. */
  get(file: string): Promise<CachedAsset | null>;
}

/** The built SPA is well under a megabyte; these bounds only keep a stray large file out. */
export function createAssetCache(opts: { maxFileBytes?: number; maxTotalBytes?: number } = {}): AssetCache {
  const maxFile = opts.maxFileBytes ?? 4 * 1024 * 1024;
  const maxTotal = opts.maxTotalBytes ?? 32 * 1024 * 1024;
  const held = new Map<string, CachedAsset>();
  let total = 0;

  async function read(file: string): Promise<CachedAsset | null> {
    const handle = await fsp.open(file).catch(() => null);
    if (!handle) return null;
    try {
      const stat = await handle.stat();
      if (!stat.isFile() || stat.size > maxFile) return null;
      return { body: await handle.readFile(), mtime: stat.mtime };
    } finally {
      await handle.close();
    }
  }

  return {
    async get(file) {
      const known = held.get(file);
      if (known) return known;
      const asset = await read(file);
      if (asset && !held.has(file) && total + asset.body.length <= maxTotal) {
        held.set(file, asset);
        total += asset.body.length;
      }
      return asset;
    },
  };
}
