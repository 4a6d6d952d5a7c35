import type { ParameterMap } from './capabilities.js';
import { PRESETS, type PresetKey } from './presets.js';

export interface PresetResult {
  applied: Record<string, unknown>;
  skipped: string[];
  /** `N preset params not supported by current trainer`, or null when every key applied. */
  note: string | null;
}

/** Keeps the preset values the current trainer wires; reports the rest. */
export function applyPreset(preset: PresetKey, parameters: ParameterMap): PresetResult {
  const applied: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(PRESETS[preset].config)) {
    if (parameters[key]?.wired) applied[key] = value;
    else skipped.push(key);
  }
  const note = skipped.length > 0 ? `${skipped.length} preset params not supported by current trainer` : null;
  return { applied, skipped, note };
}
