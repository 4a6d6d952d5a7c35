/**
 * Limits on what uploads and batches may cost: a JPEG padded with `FF 00` pairs or fill bytes is
 * judged in a few window loads (not a promise per byte) and a small image carrying megabytes of
 * filler is refused by the bytes-per-pixel cap; a character holds at most
 * UPLOAD_LIMITS.maxImagesPerCharacter images; a failed store answers a fixed reason, never a
 * path; a tRPC batch holds at most MAX_BATCH_ITEMS procedures; a character list that cannot read
 * an entry fails instead of leaving it out.
 */
import { createHook } from 'node:async_hooks';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judgeImage } from '../../src/server/services/image-judge.js';
import { UPLOAD_LIMITS } from '../../src/shared/characters.js';
import { MAX_BATCH_ITEMS } from '../../src/shared/limits.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/test-config.js';
import { MULTIPART, multipart, partHead, postUpload, rawRequest, sleep, volumeSandbox } from './support.js';

const MB = 1024 * 1024;

/** A real JPEG whose entropy data is followed by `padding` bytes before EOI. */
async function paddedJpeg(width: number, height: number, padding: Buffer): Promise<Buffer> {
  const jpeg = await sharp({ create: { width, height, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg({ quality: 90 }).toBuffer();
  expect(jpeg.subarray(-2)).toEqual(Buffer.from([0xff, 0xd9]));
  return Buffer.concat([jpeg.subarray(0, -2), padding, Buffer.from([0xff, 0xd9])]);
}
const stuffed = (bytes: number) => Buffer.alloc(bytes, Buffer.from([0xff, 0x00]));

/** Promises created while `fn` runs: a per-byte await shows up as millions of them. */
async function promisesDuring<T>(fn: () => Promise<T>): Promise<{ result: T; promises: number }> {
  let promises = 0;
  const hook = createHook({ init: (_id, type) => void (type === 'PROMISE' && promises++) });
  hook.enable();
  try {
    const result = await fn();
    return { result, promises };
  } finally {
    hook.disable();
  }
}

describe('JPEG padding', () => {
  const dir = tempDir('isengard-intake-');
  const write = (name: string, data: Buffer) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, data);
    return file;
  };

  it('a small image with megabytes of FF 00 padding is refused by the bytes-per-pixel cap', async () => {
    const data = await paddedJpeg(256, 256, stuffed(6 * MB));
    const verdict = await judgeImage(write('small.jpg', data), data.length, false);
    expect(verdict).toEqual({
      ok: false,
      reason: `Image file is ${(data.length / MB).toFixed(1)} MB for 256x256 pixels; at most ${UPLOAD_LIMITS.maxBytesPerPixel} bytes per pixel plus 1 MB are accepted`,
    });
  });

  it('a large image with 20 MB of FF 00 padding is judged with a few hundred promises, not one per byte', async () => {
    const data = await paddedJpeg(2400, 1800, stuffed(20 * MB));
    const file = write('large.jpg', data);
    const { result, promises } = await promisesDuring(() => judgeImage(file, data.length, false));
    expect(result).toMatchObject({ ok: true, format: 'jpeg', width: 2400, height: 1800, imageBytes: data.length });
    expect(promises).toBeLessThan(2000);
  });

  it('a run of fill bytes before a marker is skipped natively too', async () => {
    const jpeg = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const data = Buffer.concat([jpeg.subarray(0, -2), Buffer.alloc(8 * MB, 0xff), Buffer.from([0xd9])]);
    const file = write('fill.jpg', data);
    const { result, promises } = await promisesDuring(() => judgeImage(file, data.length, false));
    expect(result).toMatchObject({ ok: true, imageBytes: data.length });
    expect(promises).toBeLessThan(2000);
  });

  it('a marker that straddles two read windows is still found (image end exactly where it is)', async () => {
    for (const shift of [0, 1, 2, 3]) {
      const base = await paddedJpeg(1200, 900, Buffer.alloc(0));
      // Padding that puts the final FF 00 pairs and EOI around the first 1 MiB window boundary.
      const padding = 1024 * 1024 - base.length - 2 + 2 * shift;
      const data = await paddedJpeg(1200, 900, stuffed(padding));
      const trailer = Buffer.from('PK\u0003\u0004 appended zip');
      const file = write(`edge-${shift}.jpg`, Buffer.concat([data, trailer]));
      const verdict = await judgeImage(file, data.length + trailer.length, false);
      expect(verdict, `shift ${shift}`).toMatchObject({ ok: true, imageBytes: data.length });
    }
  });
});

describe('limits through the API', () => {
  let stack: Stack;
  let sandbox: ReturnType<typeof volumeSandbox>;
  let png: Buffer;

  beforeAll(async () => {
    sandbox = volumeSandbox('isengard-sec-limits-');
    stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
    png = await pngOf(300, 300);
  });
  afterAll(async () => {
    await stack?.stop();
    sandbox?.remove();
  });

  async function characterWith(n: number): Promise<string> {
    const { id } = await stack.api.services.characters.create({ name: `Full ${n}`, trigger_word: 'full_person' });
    await stack.api.infra.characters.mutate(id, (c) => ({
      ...c,
      images: Array.from({ length: n }, (_, i) => ({ name: `img-${i.toString(16).padStart(12, '0')}.png`, width: 300, height: 300, caption: 'x' })),
    }));
    return id;
  }

  it(`a character holds at most ${UPLOAD_LIMITS.maxImagesPerCharacter} images; the reason names the cap`, async () => {
    const cap = UPLOAD_LIMITS.maxImagesPerCharacter;
    const almost = await characterWith(cap - 1);
    const res = await postUpload(stack.url, almost, multipart([1, 2, 3].map((i) => ({ filename: `p${i}.png`, data: png }))));
    expect(res.status).toBe(200);
    expect(res.json.uploaded).toHaveLength(1);
    expect(res.json.rejected).toEqual([
      { filename: 'p2.png', reason: `At most ${cap} images per character` },
      { filename: 'p3.png', reason: `At most ${cap} images per character` },
    ]);
    const stored = fs.readdirSync(path.join(sandbox.volume, 'characters', almost, 'images')).filter((f) => !f.endsWith('.txt'));
    expect(stored).toHaveLength(1);
    expect((await stack.api.infra.characters.require(almost)).images).toHaveLength(cap);

    const full = await postUpload(stack.url, almost, multipart([{ filename: 'p.png', data: png }]));
    expect(full.status).toBe(400);
    expect(full.json.error).toBe(`Parameter 'images': character '${almost}' already has ${cap} images; At most ${cap} images per character`);
  });

  it('an upload racing a character delete answers a fixed reason, never a path', async () => {
    const { id } = await stack.api.services.characters.create({ name: 'Racing', trigger_word: 'race_person' });
    const incoming = path.join(sandbox.volume, 'characters', id, '.incoming');
    const body = multipart([{ filename: 'p.png', data: png }]);
    const head = partHead({ filename: 'p.png' });
    const split = body.indexOf(head) + head.length + 100;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(`${stack.url}/api/characters/${id}/images`, { method: 'POST', headers: { 'content-type': MULTIPART, 'content-length': String(body.length) } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
      req.write(body.subarray(0, split));
      void (async () => {
        for (let i = 0; i < 200 && !(fs.existsSync(incoming) && fs.readdirSync(incoming).length > 0); i++) await sleep(10);
        // The images folder vanishes before the judged file is moved in (a delete racing the upload).
        fs.rmSync(path.join(sandbox.volume, 'characters', id, 'images'), { recursive: true, force: true });
        req.end(body.subarray(split));
      })();
    });
    const { status, text } = await answer;
    expect(status).toBeLessThan(500);
    expect(text).not.toContain(sandbox.volume);
    expect(text).not.toMatch(/ENOENT|\.part|\/characters\//);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toEqual({ uploaded: [], rejected: [{ filename: 'p.png', reason: 'Could not store the file (the character may have been deleted meanwhile, or the volume is full)' }] });
  });

  it(`a tRPC batch of more than ${MAX_BATCH_ITEMS} procedures is one 400 naming the limit`, async () => {
    const batch = (n: number) => `/api/trpc/${Array.from({ length: n }, () => 'characters.list').join(',')}?batch=1`;
    const ok = await rawRequest(stack.url, { path: batch(MAX_BATCH_ITEMS) });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toHaveLength(MAX_BATCH_ITEMS);
    const res = await rawRequest(stack.url, { path: batch(900) });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ error: `Parameter 'batch' holds 900 procedures; at most ${MAX_BATCH_ITEMS} per request` });
  });

  it('characters.list fails loudly when an entry cannot be read, instead of dropping it', async () => {
    const { id } = await stack.api.services.characters.create({ name: 'Unreadable', trigger_word: 'unread_person' });
    const file = path.join(sandbox.volume, 'characters', id, 'character.json');
    const saved = fs.readFileSync(file);
    fs.rmSync(file);
    fs.mkdirSync(file); // reading it fails with EISDIR: a read error, not a missing character
    try {
      const res = await stack.call<{ message: string; data: { httpStatus: number } }>('characters.list');
      expect(res.status).toBe(503);
      expect(res.body.message).toBe(`Could not read character '${id}' (EISDIR); the list is incomplete, try again`);
    } finally {
      fs.rmdirSync(file);
      fs.writeFileSync(file, saved);
    }
    const names = (await stack.call<{ name: string }[]>('characters.list')).body.map((c) => c.name);
    expect(names).toContain('Unreadable');
  });
});
