import type { ParameterMap } from './capabilities.js';
import { inapplicable, unavailableOption } from './param-applies.js';
import { PRESETS, type PresetKey } from './presets.js';

export interface PresetResult {
  applied: Record<string, unknown>;
  skipped: string[];
  /** `N preset params not supported by current trainer`, or null when every key applied. */
  note: string | null;
}

export interface PresetContext {
  /** The config the preset lands on (the form's values); defaults fill what it leaves out. */
  current?: Readonly<Record<string, unknown>>;
  /** Values that win over the preset (the CLI's --param), judged with it. */
  pinned?: Readonly<Record<string, unknown>>;
}

/**
 * Keeps the preset values the current trainer would really use; reports the rest. A key is
 * skipped when its parameter is unwired, its value is an unavailable option, or it does not
 * apply in the resulting config (quality's learning_rate next to its own optimizer: prodigy).
 */
export function applyPreset(preset: PresetKey, parameters: ParameterMap, context: PresetContext = {}): PresetResult {
  const values: Record<string, unknown> = PRESETS[preset].config;
  const defaults = Object.fromEntries(Object.entries(parameters).map(([k, p]) => [k, p.default]));
  const usable = Object.fromEntries(
    Object.entries(values).filter(([k, v]) => parameters[k]?.wired === true && unavailableOption(parameters[k], v) === null),
  );
  const result = { ...defaults, ...context.current, ...usable, ...context.pinned };
  const applied: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const schema = parameters[key];
    if (key in usable && schema && !inapplicable(schema, result)) applied[key] = value;
    else skipped.push(key);
  }
  const note = skipped.length > 0 ? `${skipped.length} preset params not supported by current trainer` : null;
  return { applied, skipped, note };
}
