/**
 * "Train again with these settings": a finished job's config applied to the current trainer's
 * parameters by the same rule as a preset. Values the trainer wires (and that still fit) are kept;
 * the rest are skipped and counted in the same note.
 */
import type { ParameterMap, ParameterSchema } from './capabilities.js';
import type { PresetResult } from './preset-apply.js';

export function fitsSchema(schema: ParameterSchema, value: unknown): boolean {
  if (schema.type === 'enum') return (schema.options ?? []).some((o) => o === value);
  if (schema.type === 'bool') return typeof value === 'boolean';
  if (schema.type === 'string') return typeof value === 'string';
  if (typeof value !== 'number' || (schema.type === 'int' && !Number.isInteger(value))) return false;
  return (schema.min === undefined || value >= schema.min) && (schema.max === undefined || value <= schema.max);
}

export function applySavedConfig(config: Record<string, unknown>, parameters: ParameterMap): PresetResult {
  const applied: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const schema = Object.hasOwn(parameters, key) ? parameters[key] : undefined;
    if (schema?.wired && fitsSchema(schema, value)) applied[key] = value;
    else if (!(schema && !schema.wired && value === schema.default)) skipped.push(key);
  }
  const note = skipped.length > 0 ? `${skipped.length} preset params not supported by current trainer` : null;
  return { applied, skipped, note };
}
