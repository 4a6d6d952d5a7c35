/**
 * Hostile uploads over real multipart: broken and disguised images, a decompression
 * bomb, oversize and overmany files, hostile file names, broken multipart, a client that hangs up.
 * Each file gets its own verdict; nothing but generated names reaches the disk; memory stays bounded.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { IMAGE_NAME_PATTERN, UPLOAD_LIMITS } from '../../src/shared/characters.js';
import {
  BOUNDARY,
  eventually,
  MARK,
  MULTIPART,
  multipart,
  openFilesUnder,
  partHead,
  pngBomb,
  postUpload,
  rawRequest,
  snapshotTree,
  volumeSandbox,
  type Part,
} from './support.js';

const MB = 1024 * 1024;
const TOO_BIG = 'File is larger than 25 MB';
const NOT_IMAGE = /^Not a JPEG, PNG or WebP image/;
const CORRUPT = 'Image data is truncated or corrupt';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let character: string;
let png: Buffer;
let jpeg: Buffer;
let webp: Buffer;

const charDir = () => path.join(sandbox.volume, 'characters', character);
const imagesDir = () => path.join(charDir(), 'images');
const storedImages = () => (fs.existsSync(imagesDir()) ? fs.readdirSync(imagesDir()).filter((f) => !f.endsWith('.txt')) : []);
const incoming = () => (fs.existsSync(path.join(charDir(), '.incoming')) ? fs.readdirSync(path.join(charDir(), '.incoming')) : []);

/** A photo-like image (noise), so JPEG data is long and cutting it leaves a real partial scan. */
async function photo(width: number, height: number, format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7919 + (i >> 7) * 131) % 251;
  return sharp(raw, { raw: { width, height, channels: 3 } }).toFormat(format).toBuffer();
}

async function getImage(name: string): Promise<{ status: number; body: Buffer; type?: string; nosniff?: string }> {
  const res = await rawRequest(stack.url, { path: `/api/characters/${character}/images/${name}`, maxBody: 64 * MB });
  return { status: res.status, body: res.body, type: res.headers['content-type'], nosniff: res.headers['x-content-type-options'] as string | undefined };
}

async function one(part: Part) {
  const res = await postUpload(stack.url, character, multipart([part]));
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  expect(res.json.uploaded!.length + res.json.rejected!.length).toBe(1);
  return res.json;
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-upload-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
  character = (await stack.call<{ id: string }>('characters.create', { name: 'Upload', trigger_word: 'up_person' })).body.id;
  [png, jpeg, webp] = await Promise.all([photo(300, 320, 'png'), photo(300, 320, 'jpeg'), photo(300, 320, 'webp')]);
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

beforeEach(() => {
  expect(incoming(), 'a previous test left temp files').toEqual([]);
});

describe('content is judged, not names or declared types', () => {
  it('accepts real JPEG, PNG and WebP under any name and type, storing generated names only', async () => {
    for (const [data, ext] of [[png, 'png'], [jpeg, 'jpg'], [webp, 'webp']] as const) {
      const json = await one({ filename: 'whatever.gif', type: 'application/octet-stream', data });
      expect(json.uploaded![0]!.name).toMatch(IMAGE_NAME_PATTERN);
      expect(json.uploaded![0]!.name.endsWith(`.${ext}`)).toBe(true);
      expect(json.uploaded![0]).toMatchObject({ width: 300, height: 320 });
    }
  });

  it('ordinary encoder variants are accepted and stored byte for byte (the end-of-image walk is not too strict)', async () => {
    const base = sharp(await photo(400, 300, 'png'));
    const variants: [string, Buffer][] = [
      ['progressive.jpg', await base.clone().jpeg({ progressive: true }).toBuffer()],
      ['mozjpeg.jpg', await base.clone().jpeg({ mozjpeg: true, quality: 70 }).toBuffer()],
      ['exif-icc.jpg', await base.clone().withMetadata({ orientation: 6 }).keepIccProfile().jpeg({ chromaSubsampling: '4:4:4' }).toBuffer()],
      ['interlaced.png', await base.clone().png({ progressive: true }).toBuffer()],
      ['palette.png', await base.clone().png({ palette: true }).toBuffer()],
      ['16bit.png', await base.clone().toColourspace('rgb16').png().toBuffer()],
      ['alpha.png', await base.clone().ensureAlpha(0.5).png().toBuffer()],
      ['lossless.webp', await base.clone().webp({ lossless: true }).toBuffer()],
      ['alpha.webp', await base.clone().ensureAlpha(0.5).webp().toBuffer()],
    ];
    // An application segment carrying a whole embedded JPEG (like an EXIF thumbnail): its EOI is not the end.
    const thumb = await sharp(await photo(32, 32, 'png')).jpeg().toBuffer();
    const app15 = Buffer.concat([Buffer.from([0xff, 0xef, (thumb.length + 2) >> 8, (thumb.length + 2) & 0xff]), thumb]);
    variants.push(['embedded-thumbnail.jpg', Buffer.concat([jpeg.subarray(0, 2), app15, jpeg.subarray(2)])]);
    for (const [filename, data] of variants) {
      const json = await one({ filename, data });
      expect(json.rejected, filename).toEqual([]);
      const stored = await getImage(json.uploaded![0]!.name);
      expect(stored.body.equals(data), `${filename} was altered when stored`).toBe(true);
    }
    // EXIF orientation 6 (rotated 90°): the verdict reports the upright size.
    const rotated = (await one({ filename: 'exif.jpg', data: variants[2]![1] })).uploaded![0]!;
    expect([rotated.width, rotated.height]).toEqual([300, 400]);
  });

  it('truncated PNG and JPEG (cut in the middle) are rejected as truncated or corrupt', async () => {
    for (const [data, filename] of [[png, 'cut.png'], [jpeg, 'cut.jpg'], [webp, 'cut.webp'], [png, 'only-signature.png'], [jpeg, 'only-soi.jpg']] as const) {
      const keep = filename.startsWith('only-') ? (filename.endsWith('.png') ? 8 : 3) : data.length >> 1;
      const json = await one({ filename, data: data.subarray(0, keep) });
      expect(json.rejected).toEqual([{ filename, reason: CORRUPT }]);
    }
  });

  it('a JPEG header followed by garbage is rejected, whatever the garbage', async () => {
    const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const variants: [string, Buffer][] = [
      ['soi+garbage.jpg', Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(4000, 0x41)])],
      ['headers+As.jpg', Buffer.concat([jpeg.subarray(0, sos + 14), Buffer.alloc(40_000, 0x41)])],
      ['half+random.jpg', Buffer.concat([jpeg.subarray(0, jpeg.length >> 1), Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 31 + (i >> 3)) % 256))])],
    ];
    for (const [filename, data] of variants) {
      const json = await one({ filename, data });
      expect(json.uploaded, filename).toEqual([]);
      expect(json.rejected![0]!.filename).toBe(filename);
      expect(json.rejected![0]!.reason, filename).toMatch(new RegExp(`${NOT_IMAGE.source}|^${CORRUPT}$`));
    }
  });

  it('polyglots: a valid image with a zip or HTML appended is stored without the payload', async () => {
    const zip = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200, 7), Buffer.from('PK\x05\x06', 'latin1'), Buffer.alloc(18)]);
    const html = Buffer.from(`<html><body><script>alert('${MARK}')</script></body></html>`);
    for (const [image, payload, filename] of [[png, zip, 'zip.png'], [png, html, 'html.png'], [jpeg, zip, 'zip.jpg'], [jpeg, html, 'html.jpg'], [webp, html, 'html.webp']] as const) {
      const json = await one({ filename, data: Buffer.concat([image, payload]) });
      expect(json.rejected, filename).toEqual([]);
      const stored = await getImage(json.uploaded![0]!.name);
      expect(stored.status).toBe(200);
      expect(stored.body.equals(image), `${filename}: stored bytes are not exactly the image`).toBe(true);
      expect(stored.type).toMatch(/^image\/(png|jpeg|webp)$/);
      expect(stored.nosniff).toBe('nosniff');
    }
  });

  it('non-images and unsupported formats: zero bytes, text named .png, SVG with script, GIF', async () => {
    const gif = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#888' } }).gif().toBuffer();
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><script>alert(1)</script><rect width="512" height="512"/></svg>`;
    expect((await one({ filename: 'empty.png', data: Buffer.alloc(0) })).rejected).toEqual([{ filename: 'empty.png', reason: 'File is empty' }]);
    expect((await one({ filename: 'notes.png', data: 'just some text, not a picture\n'.repeat(20) })).rejected![0]!.reason).toMatch(NOT_IMAGE);
    expect((await one({ filename: 'x.png', type: 'image/svg+xml', data: svg })).rejected![0]!.reason).toMatch(NOT_IMAGE);
    expect((await one({ filename: 'x.png', data: gif })).rejected![0]!.reason).toBe('Not a JPEG, PNG or WebP image (found gif)');
  });

  it('short side: 255 px is refused with the sizes in the reason, 256 px is accepted', async () => {
    const small = await one({ filename: 'small.png', data: await pngOf(255, 1000) });
    expect(small.rejected).toEqual([{ filename: 'small.png', reason: 'Image is too small (255x1000); the short side must be at least 256 px' }]);
    const edge = await one({ filename: 'edge.png', data: await pngOf(1000, 256) });
    expect(edge.uploaded![0]).toMatchObject({ width: 1000, height: 256 });
  });
});

describe('resource limits', () => {
  it('a decompression bomb (valid 30000×30000 PNG, ~110 KB) is refused by the pixel limit without being decoded', async () => {
    const bomb = await pngBomb(30_000);
    expect(bomb.length).toBeLessThan(200 * 1024);
    const meta = await sharp(bomb, { limitInputPixels: false }).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 30_000, 30_000]); // a real, well-formed bomb
    const rssBefore = process.memoryUsage().rss;
    const json = await one({ filename: 'bomb.png', data: bomb });
    expect(json.rejected).toEqual([{ filename: 'bomb.png', reason: `Image has too many pixels (30000x30000); the limit is ${UPLOAD_LIMITS.maxPixels} pixels` }]);
    // Decoding would need ≥ 900 MB (one byte per pixel); the verdict came from the header alone.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MB);
  });

  it('a JPEG whose header claims 20000×20000 is refused by the pixel limit', async () => {
    const patched = Buffer.from(jpeg);
    const sof = patched.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    patched.writeUInt16BE(20_000, sof + 5);
    patched.writeUInt16BE(20_000, sof + 7);
    const json = await one({ filename: 'huge.jpg', data: patched });
    expect(json.rejected![0]!.reason).toMatch(/^Image has too many pixels \(20000x20000\)/);
  });

  it('a 26 MB file is refused as too large while memory stays bounded (streamed, never buffered)', async () => {
    const before = storedImages().length;
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    // The body is generated 1 MB at a time, so this process holds only the server's share of it.
    const head = partHead({ filename: 'big.png' });
    const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    const size = 26 * MB;
    const chunk = Buffer.alloc(MB, 0x5a);
    png.copy(chunk); // starts like a PNG
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        `${stack.url}/api/characters/${character}/images`,
        { method: 'POST', headers: { 'content-type': MULTIPART, 'content-length': String(head.length + size + tail.length) } },
        (r) => {
          let text = '';
          r.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      void (async () => {
        req.write(head);
        for (let sent = 0; sent < size; sent += MB) if (!req.write(sent === 0 ? chunk : chunk.fill(0x5a, 0, png.length))) await new Promise((r) => req.once('drain', r));
        req.end(tail);
      })();
    });
    clearInterval(sampler);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ uploaded: [], rejected: [{ filename: 'big.png', reason: TOO_BIG }] });
    expect(peak - rssBefore, `RSS grew by ${Math.round((peak - rssBefore) / MB)} MB`).toBeLessThan(200 * MB);
    expect(storedImages().length).toBe(before);
  });

  it('1 000 files in one request: each listed with its own verdict, the first 100 judged, the rest refused by count', async () => {
    const valid = await pngOf(256, 256, 3);
    const parts: Part[] = Array.from({ length: 1000 }, (_, i) => ({ filename: `f${i}.png`, data: i % 10 === 0 ? valid : `not an image ${i}` }));
    const before = storedImages().length;
    const rssBefore = process.memoryUsage().rss;
    const res = await postUpload(stack.url, character, multipart(parts));
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MB);
    expect(res.status).toBe(200);
    const { uploaded, rejected } = res.json as Required<typeof res.json>;
    expect(uploaded.length + rejected.length).toBe(1000);
    expect(uploaded.length).toBe(10); // f0, f10, … f90: the valid ones among the first 100
    const byName = new Map(rejected.map((r) => [r.filename, r.reason]));
    for (let i = 0; i < 1000; i++) {
      if (i < 100 && i % 10 === 0) continue;
      const reason = byName.get(`f${i}.png`);
      expect(reason, `f${i}.png has no verdict`).toBeDefined();
      expect(reason).toBe(i < 100 ? 'Not a JPEG, PNG or WebP image' : `At most ${UPLOAD_LIMITS.maxFiles} files per upload`);
    }
    expect(storedImages().length).toBe(before + 10);
  });
});

describe('names and multipart framing', () => {
  it('file names with separators, `../`, NUL and absolute paths never reach the disk', async () => {
    const before = snapshotTree(sandbox.volume);
    const hostile = [`../../../../tmp/${MARK}.png`, `/tmp/${MARK}-abs.png`, `..\\..\\${MARK}.png`, `sub/dir/${MARK}.png`, `${MARK}.png\u202e`, '.', '..'];
    const parts: Part[] = hostile.map((filename) => ({ filename, data: png }));
    parts.push({ disposition: `filename*=UTF-8''${encodeURIComponent(`../${MARK}`)}%00.png`, data: png }); // NUL via RFC 5987
    const res = await postUpload(stack.url, character, multipart(parts));
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(res.json.uploaded!.length, JSON.stringify(res.json)).toBe(parts.length);
    for (const u of res.json.uploaded!) expect(u.name).toMatch(IMAGE_NAME_PATTERN);
    const after = snapshotTree(sandbox.volume);
    const added = [...after.keys()].filter((k) => !before.has(k));
    for (const f of added) expect(f, 'only generated names under the character folder').toMatch(/^characters\/char-[0-9a-f]{12}\/(images\/img-[0-9a-f]{12}\.(png|txt)|character\.json\.[0-9a-f]+\.tmp)?$/);
    expect(added.some((f) => f.includes(MARK))).toBe(false);
    sandbox.assertNothingOutside();
    // A raw NUL or control character inside the part header is malformed framing: the whole body is refused.
    for (const filename of [`a\u0000${MARK}.png`, `../${MARK}\u0001.png`]) {
      const bad = await postUpload(stack.url, character, multipart([{ filename, data: png }]));
      expect([bad.status, bad.json.error]).toEqual([400, "Parameter 'images' is not a valid multipart body: Malformed part header"]);
    }
    expect(snapshotTree(sandbox.volume).size).toBe(after.size);
  });

  it('rejection entries show the client name without control characters', async () => {
    const json = await one({ disposition: `filename*=UTF-8''evil%00name%0D%0A.png`, data: 'nope' });
    expect(json.rejected![0]!.filename).toBe('evilname.png');
  });

  it('wrong content type, no boundary, no files: 400 naming the images parameter', async () => {
    const post = (contentType: string, body: Buffer | string) =>
      rawRequest(stack.url, { method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': contentType }, body });
    const cases: [string, Buffer | string, string][] = [
      ['application/json', '{"images":[]}', "Parameter 'images' must be sent as multipart/form-data"],
      ['image/png', png, "Parameter 'images' must be sent as multipart/form-data"],
      ['multipart/form-data', multipart([{ filename: 'a.png', data: png }]), "Parameter 'images' must be sent as multipart/form-data with a boundary"],
      [MULTIPART, multipart([{ field: 'note', type: '', data: 'no file here' }]), "Parameter 'images' holds no files"],
    ];
    for (const [type, body, message] of cases) {
      const res = await post(type, body);
      expect([res.status, (JSON.parse(res.text) as { error: string }).error], type).toEqual([400, message]);
    }
  });

  it('a body that ends mid-part is a 400, and even its complete first file is not kept', async () => {
    const before = storedImages().length;
    const full = multipart([{ filename: 'good.png', data: png }, { filename: 'cut.png', data: png }]);
    const cut = full.subarray(0, full.length - png.length / 2);
    const res = await postUpload(stack.url, character, cut);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe("Parameter 'images' is not a valid multipart body: Unexpected end of form");
    expect(storedImages().length).toBe(before);
    expect(incoming()).toEqual([]);
  });

  it('a client that hangs up mid-upload leaves no temp file and no open descriptor', async () => {
    const port = Number(new URL(stack.url).port);
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': MULTIPART, 'content-length': String(10 * MB) } });
        req.on('error', () => resolve());
        req.write(Buffer.concat([partHead({ filename: 'a.png' }), png, partHead({ filename: 'b.png' }), Buffer.alloc(256 * 1024, 1)]));
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 150);
      });
    }
    await eventually(() => {
      expect(incoming()).toEqual([]);
      expect(openFilesUnder(sandbox.volume)).toEqual([]);
    });
    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
  });

  it('every stored file is an image the character lists, and nothing landed outside the volume', async () => {
    const listed = (await stack.call<{ images: { name: string }[] }>('characters.get', { id: character })).body.images.map((i) => i.name).sort();
    expect(storedImages().sort()).toEqual(listed);
    sandbox.assertNothingOutside();
  });
});
