/**
 * One parameter checked against its schema, in the order of docs/contracts.md:
 * unwired → type → min/max → enum → option unavailable. Returns the first failure's sentence, or null.
 */
import type { EnumOption, ParameterSchema } from './capabilities.js';
import { unavailableOption } from './param-applies.js';

/** Python-list rendering the messages use: [4, 8] and ['a', 'b']. */
export function formatOptions(options: readonly EnumOption[]): string {
  return `[${options.map((o) => (typeof o === 'string' ? `'${o}'` : String(o))).join(', ')}]`;
}

export function checkParam(key: string, value: unknown, schema: ParameterSchema, backend: string): string | null {
  if (!schema.wired) {
    return `Parameter '${key}' not supported by ${backend}: ${schema.reason ?? 'Not supported'}`;
  }
  switch (schema.type) {
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `Parameter '${key}' must be an integer`;
      break;
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `Parameter '${key}' must be a number`;
      break;
    case 'bool':
      if (typeof value !== 'boolean') return `Parameter '${key}' must be a boolean`;
      break;
    case 'string':
      if (typeof value !== 'string') return `Parameter '${key}' must be a string`;
      break;
    case 'enum':
      break;
  }
  if (typeof value === 'number') {
    if (schema.min !== undefined && value < schema.min) return `Parameter '${key}' below minimum (${String(schema.min)})`;
    if (schema.max !== undefined && value > schema.max) return `Parameter '${key}' above maximum (${String(schema.max)})`;
  }
  if (schema.type === 'enum') {
    const options = schema.options ?? [];
    if (!options.some((o) => o === value)) return `Parameter '${key}' must be one of ${formatOptions(options)}`;
    const unavailable = unavailableOption(schema, value);
    if (unavailable) return `Parameter '${key}' option ${formatOptions([value as EnumOption]).slice(1, -1)} not supported by ${backend}: ${unavailable}`;
  }
  return null;
}
