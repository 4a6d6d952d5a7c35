import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { silentLogger, tempDir } from '../../../tests/helpers/test-config.js';
import { VolumePaths } from '../../shared/node/volume.js';
import { parseThumbnailWidth, ThumbnailService } from './thumbnails.service.js';

async function photo(file: string, width: number, height: number): Promise<string> {
  await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 40 } } }).jpeg({ quality: 95 }).toFile(file);
  return file;
}

/** Closes the handles get() hands out, as the route does. */
async function got(thumbs: ThumbnailService, ...args: Parameters<ThumbnailService['get']>) {
  const t = await thumbs.get(...args);
  await t?.handle.close();
  return t;
}

describe('ThumbnailService', () => {
  it('renders a WebP of the asked width once, then serves it from the volume', async () => {
    const paths = new VolumePaths(tempDir());
    const source = await photo(path.join(paths.root, 'a.jpg'), 1600, 1200);
    const thumbs = new ThumbnailService(paths, silentLogger());
    const first = await got(thumbs, source, 256, 'characters', 'char-000000000001', 'img-000000000001.jpg');
    expect(first).not.toBeNull();
    expect(first!.file.startsWith(path.join(paths.root, 'cache', 'thumbnails'))).toBe(true);
    const meta = await sharp(fs.readFileSync(first!.file)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 192]);
    const again = await got(thumbs, source, 256, 'characters', 'char-000000000001', 'img-000000000001.jpg');
    expect(again!.etag).toBe(first!.etag);
    expect(thumbs.renders).toBe(1);
  });

  it('concurrent requests for one thumbnail wait for a single render (single-flight)', async () => {
    const paths = new VolumePaths(tempDir());
    const source = await photo(path.join(paths.root, 'b.jpg'), 2400, 1800);
    const thumbs = new ThumbnailService(paths, silentLogger());
    const results = await Promise.all(Array.from({ length: 12 }, () => got(thumbs, source, 768, 'outputs', 'generation-000000000001', 'b.jpg')));
    expect(thumbs.renders).toBe(1);
    expect(new Set(results.map((r) => r!.file)).size).toBe(1);
    expect((await sharp(fs.readFileSync(results[0]!.file)).metadata()).width).toBe(768);
    // Other widths and other sources are their own renders.
    await Promise.all([got(thumbs, source, 256, 'outputs', 'generation-000000000001', 'b.jpg'), got(thumbs, source, 768, 'outputs', 'generation-000000000002', 'b.jpg')]);
    expect(thumbs.renders).toBe(3);
  });

  it('never enlarges a small image; a missing source is null; a replaced source gets a new thumbnail and ETag', async () => {
    const paths = new VolumePaths(tempDir());
    const source = await photo(path.join(paths.root, 'c.jpg'), 100, 80);
    const thumbs = new ThumbnailService(paths, silentLogger());
    const small = await got(thumbs, source, 768, 'characters', 'char-000000000003', 'c.jpg');
    expect((await sharp(fs.readFileSync(small!.file)).metadata()).width).toBe(100);
    expect(await got(thumbs, path.join(paths.root, 'nope.jpg'), 256, 'characters', 'char-000000000003', 'nope.jpg')).toBeNull();
    await photo(source, 300, 200);
    fs.utimesSync(source, new Date(), new Date(Date.now() + 5000));
    const replaced = await got(thumbs, source, 768, 'characters', 'char-000000000003', 'c.jpg');
    expect(replaced!.etag).not.toBe(small!.etag);
    expect((await sharp(fs.readFileSync(replaced!.file)).metadata()).width).toBe(300);
  });

  it('a file that is not an image is a 415, not a crash', async () => {
    const paths = new VolumePaths(tempDir());
    const source = path.join(paths.root, 'd.png');
    fs.writeFileSync(source, 'not an image');
    const thumbs = new ThumbnailService(paths, silentLogger());
    await expect(thumbs.get(source, 256, 'outputs', 'generation-000000000004', 'd.png')).rejects.toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('only the widths the SPA uses are accepted', () => {
    expect(parseThumbnailWidth('256')).toBe(256);
    for (const bad of ['255', '0256', '1e3', '', 'x']) expect(() => parseThumbnailWidth(bad)).toThrow("Parameter 'w' must be one of 256, 768");
  });
});
