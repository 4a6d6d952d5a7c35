/**
 * Judges one uploaded file by its content (never its name or declared type): format, size, a
 * full decode (truncated or corrupt data is caught), short side and pixel count.
 */
import sharp, { type Metadata } from 'sharp';
import { UPLOAD_LIMITS } from '../../shared/characters.js';

export type IntakeResult =
  | { ok: true; format: 'jpeg' | 'png' | 'webp'; width: number; height: number }
  | { ok: false; reason: string };

const MB = 1024 * 1024;

export async function judgeImage(file: string, bytes: number, truncatedBySizeLimit: boolean): Promise<IntakeResult> {
  if (truncatedBySizeLimit) return { ok: false, reason: `File is larger than ${UPLOAD_LIMITS.maxBytes / MB} MB` };
  if (bytes === 0) return { ok: false, reason: 'File is empty' };
  let meta: Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch {
    return { ok: false, reason: 'Not a JPEG, PNG or WebP image' };
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
  try {
    // A full decode at low cost: catches truncated and corrupt data that headers alone hide.
    await sharp(file, { failOn: 'truncated', limitInputPixels: UPLOAD_LIMITS.maxPixels }).resize(64, 64, { fit: 'inside' }).raw().toBuffer();
  } catch {
    return { ok: false, reason: 'Image data is truncated or corrupt' };
  }
  return { ok: true, format, width, height };
}
