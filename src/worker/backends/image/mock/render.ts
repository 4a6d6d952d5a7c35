import sharp from 'sharp';
import { seededRandom } from '../../seeded-random.js';

/**
 * A deterministic width×height PNG from a seed: a small random colour field enlarged smoothly,
 * so images look like soft abstract paintings and differ visibly from seed to seed.
 */
export async function renderSeedImage(seed: number, width: number, height: number): Promise<Buffer> {
  const rand = seededRandom(seed);
  const cells = 6;
  const pixels = Buffer.alloc(cells * cells * 3);
  const base = [rand() * 255, rand() * 255, rand() * 255];
  for (let i = 0; i < cells * cells; i++) {
    for (let c = 0; c < 3; c++) pixels[i * 3 + c] = Math.round((base[c]! * 0.5 + rand() * 255 * 0.5) % 256);
  }
  return sharp(pixels, { raw: { width: cells, height: cells, channels: 3 } })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .png({ compressionLevel: 3 })
    .toBuffer();
}

/** Real 2× Lanczos resize, as fast-test mode promises (docs/contracts.md). */
export async function upscale2x(png: Buffer, width: number, height: number): Promise<Buffer> {
  return sharp(png).resize(width * 2, height * 2, { kernel: 'lanczos3', fit: 'fill' }).png({ compressionLevel: 3 }).toBuffer();
}
