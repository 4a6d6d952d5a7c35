/**
 * `--param key=value` → typed config, checked against the server's own capabilities before
 * anything is sent. Types come from /api/info; validation is capabilitiesToZod, the same bridge
 * the server's procedure inputs are built from, so the sentences match the server's exactly.
 */
import type { ApiInfo, ParameterSchema } from '../shared/capabilities.js';
import { capabilitiesToZod } from '../shared/capabilities-to-zod.js';
import { applyPreset } from '../shared/preset-apply.js';
import { PRESET_KEYS, type PresetKey } from '../shared/presets.js';
import { UsageError } from './cli-errors.js';

export interface BuiltConfig {
  config: Record<string, unknown>;
  /** Things the user should know but that do not stop the command. */
  notes: string[];
}

export function splitParams(pairs: readonly string[] = []): [string, string][] {
  return pairs.map((pair) => {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects key=value, got '${pair}'`);
    return [pair.slice(0, eq).trim(), pair.slice(eq + 1)];
  });
}

const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Text → the parameter's JSON type. Text that does not fit stays a string, so the check below
 * reports it with the server's sentence ("must be an integer") rather than a CLI-specific one.
 */
export function coerceParam(raw: string, schema: Pick<ParameterSchema, 'type' | 'options'> | undefined): unknown {
  const text = raw.trim();
  switch (schema?.type) {
    case 'int':
    case 'float':
      return NUMBER_TEXT.test(text) ? Number(text) : raw;
    case 'bool':
      if (/^(true|yes|on|1)$/i.test(text)) return true;
      if (/^(false|no|off|0)$/i.test(text)) return false;
      return raw;
    case 'enum':
      return (schema.options ?? []).every((o) => typeof o === 'number') && NUMBER_TEXT.test(text) ? Number(text) : raw;
    default:
      return raw;
  }
}

function assertValid(result: { success: boolean; error?: { issues: { message: string }[] } }): void {
  if (result.success) return;
  const [first, ...rest] = (result.error?.issues ?? []).map((i) => i.message);
  throw new UsageError(first ?? 'Invalid parameters', rest);
}

const unknownNote = (key: string, what: string, backend: string) =>
  `Parameter '${key}' is not a ${what} parameter of ${backend}; the server ignores it`;

export function trainingConfig(info: ApiInfo, pairs: readonly string[] | undefined, preset: string | undefined): BuiltConfig {
  const caps = info.training;
  const notes: string[] = [];
  const params: Record<string, unknown> = {};
  for (const [key, raw] of splitParams(pairs)) {
    const schema = caps.parameters[key];
    if (!schema) notes.push(unknownNote(key, 'training', caps.backend));
    params[key] = coerceParam(raw, schema);
  }
  let config: Record<string, unknown> = { ...params };
  if (preset !== undefined) {
    if (!PRESET_KEYS.includes(preset as PresetKey)) throw new UsageError(`Preset must be one of ${PRESET_KEYS.join(', ')}; got '${preset}'`);
    // --param values win over the preset, and the preset's conditions are judged with them.
    const applied = applyPreset(preset as PresetKey, caps.parameters, { pinned: params });
    config = { ...applied.applied, ...params };
    if (applied.note) notes.push(`${applied.note} (${applied.skipped.join(', ')})`);
  }
  assertValid(capabilitiesToZod(caps).safeParse(config));
  return { config, notes };
}

export function imageConfig(info: ApiInfo, prompt: string, pairs: readonly string[] | undefined, toggles: Record<string, boolean>): BuiltConfig {
  const caps = info.image_generation;
  const notes: string[] = [];
  // Fields an image config has beyond the manifest parameters.
  const extra: Record<string, Pick<ParameterSchema, 'type' | 'options'>> = {
    prompt: { type: 'string' },
    model_variant: { type: 'enum', options: caps.model_variants },
    seed: { type: 'int' },
    ...Object.fromEntries(Object.keys(caps.toggles).map((t) => [t, { type: 'bool' as const }])),
  };
  const config: Record<string, unknown> = { prompt, ...toggles };
  for (const [key, raw] of splitParams(pairs)) {
    const schema = caps.parameters[key] ?? extra[key];
    if (!schema) notes.push(unknownNote(key, 'image', caps.backend));
    config[key] = coerceParam(raw, schema);
  }
  assertValid(capabilitiesToZod(caps).safeParse(config));
  return { config, notes };
}
