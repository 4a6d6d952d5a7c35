/**
 * Judges one uploaded file by its content (never its name or declared type): format, size, a
 * full decode (truncated or corrupt data is caught), short side and pixel count. The file's
 * structure is walked to the image's own end marker: data that never reaches it is corrupt
 * (decoders happily turn garbage into pixels), and bytes after it (an appended zip or HTML, a
 * phone's motion-photo trailer) are not part of the image and are cut off before storing.
 */
import fsp, { type FileHandle } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { UPLOAD_LIMITS } from '../../shared/characters.js';

export type ImageVerdict =
  | {
      ok: true;
      format: 'jpeg' | 'png' | 'webp';
      width: number;
      height: number;
      /** Length of the image itself; anything past it in the file is a trailer to drop. */
      imageBytes: number;
    }
  | { ok: false; reason: string };

const MB = 1024 * 1024;
const CORRUPT = 'Image data is truncated or corrupt';

export async function judgeImage(file: string, bytes: number, truncatedBySizeLimit: boolean): Promise<ImageVerdict> {
  if (truncatedBySizeLimit) return { ok: false, reason: `File is larger than ${UPLOAD_LIMITS.maxBytes / MB} MB` };
  if (bytes === 0) return { ok: false, reason: 'File is empty' };
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    // Starts like one of ours but cannot even be read: a cut-off or damaged image, not a foreign file.
    const looksLikeOurs = await startsLikeImage(file).catch(() => false);
    return { ok: false, reason: looksLikeOurs ? CORRUPT : 'Not a JPEG, PNG or WebP image' };
  }
  const format = meta.format;
  if (format !== 'jpeg' && format !== 'png' && format !== 'webp') {
    return { ok: false, reason: `Not a JPEG, PNG or WebP image (found ${format ?? 'unknown'})` };
  }
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height };
  const width = oriented.width ?? 0;
  const height = oriented.height ?? 0;
  if (width * height > UPLOAD_LIMITS.maxPixels) {
    return { ok: false, reason: `Image has too many pixels (${width}x${height}); the limit is ${UPLOAD_LIMITS.maxPixels} pixels` };
  }
  if (Math.min(width, height) < UPLOAD_LIMITS.minShortSide) {
    return { ok: false, reason: `Image is too small (${width}x${height}); the short side must be at least ${UPLOAD_LIMITS.minShortSide} px` };
  }
  const imageBytes = await imageLength(file, format).catch(() => null);
  if (imageBytes === null) return { ok: false, reason: CORRUPT };
  try {
    // A full decode at low cost: catches truncated and corrupt data that headers alone hide.
    await sharp(file, { failOn: 'truncated', limitInputPixels: UPLOAD_LIMITS.maxPixels }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch {
    return { ok: false, reason: CORRUPT };
  }
  return { ok: true, format, width, height, imageBytes };
}

/** PNG signature, JPEG SOI + marker, or RIFF…WEBP. */
async function startsLikeImage(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await handle.read(head, 0, 12, 0);
    const b = head.subarray(0, bytesRead);
    return (
      b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
      (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) ||
      (b.length === 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP')
    );
  } finally {
    await handle.close();
  }
}

/** Byte-level reads through one reusable 64 KiB window (files are up to 25 MB; never read whole). */
class FileBytes {
  private readonly window = Buffer.alloc(64 * 1024);
  private start = 0;
  private length = 0;
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  private async load(pos: number): Promise<void> {
    const { bytesRead } = await this.handle.read(this.window, 0, this.window.length, pos);
    this.start = pos;
    this.length = bytesRead;
  }

  async at(pos: number): Promise<number | undefined> {
    if (pos < 0 || pos >= this.size) return undefined;
    if (pos < this.start || pos >= this.start + this.length) await this.load(pos);
    return this.window[pos - this.start];
  }

  async uint(pos: number, n: 2 | 4, littleEndian = false): Promise<number | undefined> {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const b = await this.at(littleEndian ? pos + n - 1 - i : pos + i);
      if (b === undefined) return undefined;
      value = value * 256 + b;
    }
    return value;
  }

  /** Position of the next `byte` at or after `pos`, or -1. */
  async indexOf(byte: number, pos: number): Promise<number> {
    while (pos < this.size) {
      if (pos < this.start || pos >= this.start + this.length) await this.load(pos);
      const i = this.window.subarray(0, this.length).indexOf(byte, pos - this.start);
      if (i >= 0) return this.start + i;
      pos = this.start + this.length;
    }
    return -1;
  }
}

/** Where the image ends (its length in bytes), or null when its end marker is never reached. */
async function imageLength(file: string, format: 'jpeg' | 'png' | 'webp'): Promise<number | null> {
  const handle = await fsp.open(file, 'r');
  try {
    const bytes = new FileBytes(handle, (await handle.stat()).size);
    if (format === 'png') return await pngEnd(bytes);
    if (format === 'jpeg') return await jpegEnd(bytes);
    return await webpEnd(bytes);
  } finally {
    await handle.close();
  }
}

/** Signature, then chunks `length type data crc` up to and including IEND. */
async function pngEnd(bytes: FileBytes): Promise<number | null> {
  const IEND = 0x49454e44;
  for (let pos = 8; ; ) {
    const length = await bytes.uint(pos, 4);
    const type = await bytes.uint(pos + 4, 4);
    if (length === undefined || type === undefined) return null;
    const end = pos + 12 + length;
    if (end > bytes.size) return null;
    if (type === IEND) return end;
    pos = end;
  }
}

/** SOI, then marker segments; after each SOS the entropy-coded data runs to the next real marker; up to EOI. */
async function jpegEnd(bytes: FileBytes): Promise<number | null> {
  const isRestart = (m: number) => m >= 0xd0 && m <= 0xd7;
  for (let pos = 2; ; ) {
    if ((await bytes.at(pos)) !== 0xff) return null;
    while ((await bytes.at(pos)) === 0xff) pos++; // fill bytes
    const marker = await bytes.at(pos++);
    if (marker === undefined || marker === 0x00 || marker === 0xd8) return null;
    if (marker === 0xd9) return pos;
    if (marker === 0x01 || isRestart(marker)) continue; // markers without a length
    const length = await bytes.uint(pos, 2);
    if (length === undefined || length < 2 || pos + length > bytes.size) return null;
    pos += length;
    if (marker !== 0xda) continue;
    for (;;) {
      const ff = await bytes.indexOf(0xff, pos);
      if (ff < 0) return null;
      const next = await bytes.at(ff + 1);
      if (next === undefined) return null;
      // 0xFF00 is a stuffed data byte, 0xFFD0-D7 a restart marker, 0xFFFF fill: all still scan data.
      if (next === 0x00 || next === 0xff || isRestart(next)) {
        pos = ff + 1;
        continue;
      }
      pos = ff;
      break;
    }
  }
}

/** `RIFF <size LE> WEBP…`: the image is 8 + size bytes. */
async function webpEnd(bytes: FileBytes): Promise<number | null> {
  const size = await bytes.uint(4, 4, true);
  if (size === undefined) return null;
  const end = 8 + size;
  return end <= bytes.size ? end : null;
}
