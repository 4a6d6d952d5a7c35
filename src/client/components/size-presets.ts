/**
 * Size presets derived from the manifest's own width/height schemas: aspect ratios around the
 * default long side, snapped to the dimension multiple and clamped to the advertised range.
 */
import type { ParameterSchema } from '../../shared/capabilities.js';
import { DIMENSION_MULTIPLE } from '../../shared/limits.js';

export interface SizePreset {
  label: string;
  width: number;
  height: number;
}

const RATIOS: [string, number, number][] = [
  ['Square 1:1', 1, 1],
  ['Portrait 3:4', 3, 4],
  ['Landscape 4:3', 4, 3],
  ['Portrait 9:16', 9, 16],
  ['Wide 16:9', 16, 9],
];

function fit(value: number, schema: ParameterSchema): number {
  const snapped = Math.round(value / DIMENSION_MULTIPLE) * DIMENSION_MULTIPLE;
  const min = schema.min !== undefined ? Math.ceil(schema.min / DIMENSION_MULTIPLE) * DIMENSION_MULTIPLE : snapped;
  const max = schema.max !== undefined ? Math.floor(schema.max / DIMENSION_MULTIPLE) * DIMENSION_MULTIPLE : snapped;
  return Math.min(max, Math.max(min, snapped));
}

export function sizePresets(width: ParameterSchema, height: ParameterSchema): SizePreset[] {
  const base = Math.max(Number(width.default) || 0, Number(height.default) || 0);
  if (!base) return [];
  const seen = new Set<string>();
  const out: SizePreset[] = [];
  for (const [label, rw, rh] of RATIOS) {
    const w = fit(rw >= rh ? base : (base * rw) / rh, width);
    const h = fit(rh >= rw ? base : (base * rh) / rw, height);
    const key = `${w}x${h}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ label, width: w, height: h });
  }
  return out;
}
