/**
 * The mock captioner's text: a deterministic description of an image's size, orientation and
 * dominant colour (sharp's `stats().dominant`), so the caption flow is testable without a model.
 */
import sharp from 'sharp';
import type { CaptionStyle } from '../../../../shared/captions.js';

const PALETTE: readonly [string, number, number, number][] = [
  ['black', 10, 10, 10],
  ['white', 245, 245, 245],
  ['grey', 128, 128, 128],
  ['red', 200, 30, 30],
  ['orange', 240, 140, 30],
  ['yellow', 240, 220, 40],
  ['green', 40, 160, 60],
  ['teal', 0, 128, 128],
  ['blue', 40, 80, 200],
  ['purple', 130, 50, 160],
  ['pink', 240, 150, 190],
  ['brown', 120, 75, 40],
  ['beige', 220, 200, 160],
];

export function colourName(r: number, g: number, b: number): string {
  let best = PALETTE[0]!;
  let bestDistance = Infinity;
  for (const entry of PALETTE) {
    const d = (entry[1] - r) ** 2 + (entry[2] - g) ** 2 + (entry[3] - b) ** 2;
    if (d < bestDistance) [best, bestDistance] = [entry, d];
  }
  return best[0];
}

export function orientationOf(width: number, height: number): 'portrait' | 'landscape' | 'square' {
  if (Math.abs(width - height) <= Math.max(width, height) * 0.05) return 'square';
  return height > width ? 'portrait' : 'landscape';
}

export interface ImageFacts {
  width: number;
  height: number;
  dominant: { r: number; g: number; b: number };
}

export async function imageFacts(file: string): Promise<ImageFacts> {
  const image = sharp(file);
  const [meta, stats] = await Promise.all([image.metadata(), image.stats()]);
  // EXIF orientations 5-8 turn the picture a quarter: the displayed width is the stored height.
  const turned = (meta.orientation ?? 1) >= 5;
  const width = (turned ? meta.height : meta.width) ?? 0;
  const height = (turned ? meta.width : meta.height) ?? 0;
  return { width, height, dominant: stats.dominant };
}

export function describeImage(facts: ImageFacts, style: CaptionStyle): string {
  const { width, height, dominant } = facts;
  const orientation = orientationOf(width, height);
  const colour = colourName(dominant.r, dominant.g, dominant.b);
  if (style === 'short') return `a ${orientation} photo in ${colour} tones`;
  const light = (0.2126 * dominant.r + 0.7152 * dominant.g + 0.0722 * dominant.b) / 255;
  const mood = light > 0.7 ? 'brightly lit' : light < 0.3 ? 'dark and low-key' : 'evenly lit';
  return (
    `A ${orientation} photo, ${width} by ${height} pixels, in ${colour} tones. ` +
    `Its dominant colour is ${colour} (RGB ${dominant.r}, ${dominant.g}, ${dominant.b}), and the picture is ${mood}.`
  );
}
