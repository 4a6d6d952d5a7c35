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
  const maxBytes = width * height * UPLOAD_LIMITS.maxBytesPerPixel + UPLOAD_LIMITS.metadataAllowanceBytes;
  if (bytes > maxBytes) {
    return {
      ok: false,
      reason: `Image file is ${(bytes / MB).toFixed(1)} MB for ${width}x${height} pixels; at most ${UPLOAD_LIMITS.maxBytesPerPixel} bytes per pixel plus ${UPLOAD_LIMITS.metadataAllowanceBytes / MB} MB are accepted`,
    };
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

/**
 * Reads through one reusable 1 MiB window. The walks below read it synchronously and search it
 * with native regular expressions over its latin1 text; the only awaits are window loads, so a
 * hostile file costs one load per MiB instead of a microtask per byte (a JPEG padded with 24 MB
 * of `FF 00` pairs once held the event loop for seconds).
 */
class FileBytes {
  private readonly window = Buffer.alloc(1024 * 1024);
  private text = '';
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
    this.text = this.window.toString('latin1', 0, bytesRead);
  }

  private get end(): number {
    return this.start + this.length;
  }

  /** Makes [pos, pos + n) readable with the sync getters; false when that runs past the file. */
  async ensure(pos: number, n: number): Promise<boolean> {
    if (pos < 0 || pos + n > this.size) return false;
    if (pos < this.start || pos + n > this.end) await this.load(pos);
    return true;
  }

  byte(pos: number): number {
    return this.window[pos - this.start]!;
  }
  u16(pos: number): number {
    return this.window.readUInt16BE(pos - this.start);
  }
  u32(pos: number, littleEndian = false): number {
    return littleEndian ? this.window.readUInt32LE(pos - this.start) : this.window.readUInt32BE(pos - this.start);
  }

  /**
   * Position of the first match of the global regex `re` at or after `pos`, or -1. A match needs
   * `lookahead` bytes after its start to be judged: one found too close to the window's end is
   * judged again in a window that starts there.
   */
  async search(re: RegExp, pos: number, lookahead: number): Promise<number> {
    while (pos < this.size) {
      if (pos < this.start || pos >= this.end || (pos + lookahead >= this.end && this.end < this.size)) await this.load(pos);
      re.lastIndex = pos - this.start;
      const m = re.exec(this.text);
      const lastWindow = this.end >= this.size;
      if (m) {
        const at = this.start + m.index;
        if (lastWindow || at + lookahead < this.end) return at;
        pos = at;
        continue;
      }
      if (lastWindow) return -1;
      pos = Math.max(pos + 1, this.end - lookahead);
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
    if (!(await bytes.ensure(pos, 8))) return null;
    const length = bytes.u32(pos);
    const type = bytes.u32(pos + 4);
    const end = pos + 12 + length;
    if (end > bytes.size) return null;
    if (type === IEND) return end;
    pos = end;
  }
}

const isRestart = (m: number) => m >= 0xd0 && m <= 0xd7;
/** Anything but a fill byte. */
const NOT_FILL = /[^\xff]/g;
/** After SOS, entropy-coded data runs to the first 0xFF that starts a real marker: not a stuffed 0xFF00, a restart marker or fill. */
// eslint-disable-next-line no-control-regex -- matching raw bytes (latin1) is the point
const SCAN_END = /\xff(?![\x00\xd0-\xd7\xff])/g;

/** SOI, then marker segments; after each SOS the entropy-coded data runs to the next real marker; up to EOI. */
async function jpegEnd(bytes: FileBytes): Promise<number | null> {
  for (let pos = 2; ; ) {
    if (!(await bytes.ensure(pos, 1)) || bytes.byte(pos) !== 0xff) return null;
    pos = await bytes.search(NOT_FILL, pos, 0);
    if (pos < 0 || !(await bytes.ensure(pos, 1))) return null;
    const marker = bytes.byte(pos++);
    if (marker === 0x00 || marker === 0xd8) return null;
    if (marker === 0xd9) return pos;
    if (marker === 0x01 || isRestart(marker)) continue; // markers without a length
    if (!(await bytes.ensure(pos, 2))) return null;
    const length = bytes.u16(pos);
    if (length < 2 || pos + length > bytes.size) return null;
    pos += length;
    if (marker !== 0xda) continue;
    const ff = await bytes.search(SCAN_END, pos, 1);
    if (ff < 0 || ff + 1 >= bytes.size) return null;
    pos = ff;
  }
}

/** `RIFF <size LE> WEBP…`: the image is 8 + size bytes. */
async function webpEnd(bytes: FileBytes): Promise<number | null> {
  if (!(await bytes.ensure(4, 4))) return null;
  const end = 8 + bytes.u32(4, true);
  return end <= bytes.size ? end : null;
}
