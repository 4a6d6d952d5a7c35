/**
 * Conditional parameters (`applies_when` in a manifest): one rule, read by the server's validation,
 * the trainer-config writer, presets and the forms, so "does learning_rate apply with prodigy?" has
 * exactly one answer everywhere.
 */
import type { ConditionValue, ParameterSchema } from './capabilities.js';

export interface Inapplicable {
  /** The config field whose value rules the parameter out (e.g. `optimizer`). */
  field: string;
  value: unknown;
  reason: string;
}

const quote = (v: unknown) => (typeof v === 'string' ? `'${v}'` : String(v));

/** Why `schema` does not apply in `config`, or null when it applies (or has no condition). */
export function inapplicable(schema: ParameterSchema, config: Readonly<Record<string, unknown>>): Inapplicable | null {
  for (const [field, allowed] of Object.entries(schema.applies_when ?? {})) {
    const value = config[field];
    if (!allowed.some((a: ConditionValue) => a === value)) {
      return { field, value, reason: schema.not_applicable_reason ?? 'Not used in this configuration' };
    }
  }
  return null;
}

/** `Does not apply when optimizer is 'prodigy': REASON`, the form's wording. */
export function inapplicableText(why: Inapplicable): string {
  return `Does not apply when ${why.field} is ${quote(why.value)}: ${why.reason}`;
}

/** The server's sentence for a submitted value that does not apply. */
export function inapplicableMessage(key: string, why: Inapplicable): string {
  return `Parameter '${key}' does not apply when ${why.field} is ${quote(why.value)}: ${why.reason}`;
}

/** The reason an enum option is refused, or null when it is available. */
export function unavailableOption(schema: ParameterSchema, value: unknown): string | null {
  if (schema.type !== 'enum' || !schema.unavailable_options) return null;
  const reasons = schema.unavailable_options;
  const key = String(value);
  return Object.hasOwn(reasons, key) ? (reasons[key] ?? null) : null;
}
