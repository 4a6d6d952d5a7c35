/**
 * zod fields whose error sentences are the ones of docs/contracts.md, for request fields that are not
 * backend parameters (count, seed, ids). Built on the same checkParam as manifest parameters.
 */
import { z } from 'zod';
import type { ParameterSchema, ParamValue } from './capabilities.js';
import { checkParam } from './param-check.js';

function checked(key: string, value: unknown, schema: ParameterSchema, ctx: z.RefinementCtx): unknown {
  const message = checkParam(key, value, schema, 'isengard');
  if (message) ctx.addIssue({ code: 'custom', message });
  return value;
}

/** A field checked like a parameter; absent → its default (or "is required" when it has none). */
export function paramField<const P extends ParameterSchema>(key: string, schema: P) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined) {
      if (schema.default !== undefined) return schema.default as ParamValue<P>;
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' is required` });
      return z.NEVER;
    }
    return checked(key, value, schema, ctx) as ParamValue<P>;
    // Typed as ZodDefault so object inputs see the key as optional and outputs as present.
  }) as unknown as z.ZodDefault<z.ZodType<ParamValue<P>, ParamValue<P>>>;
}

/** Like paramField but absent stays absent (e.g. `seed`: random when absent). */
export function optionalParamField<const P extends ParameterSchema>(key: string, schema: P) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null) return undefined;
    return checked(key, value, schema, ctx) as ParamValue<P>;
  }) as unknown as z.ZodOptional<z.ZodType<ParamValue<P>, ParamValue<P>>>;
}

/** A required id string matching `pattern`. */
export function idField(key: string, pattern: RegExp) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' is required` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must be a string` });
      return z.NEVER;
    }
    if (!pattern.test(value)) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' is not a valid id` });
      return z.NEVER;
    }
    return value;
  }) as unknown as z.ZodType<string, string>;
}

const CONTROL = /(?![\n\t])\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Control characters other than newline and tab, or lone surrogates: only broken clients or probes send them. */
export const hasControlCharacters = (text: string): boolean => CONTROL.test(text) || LONE_SURROGATE.test(text);

/**
 * A required trimmed text of bounded length (`.optional()` makes absence fine). `trim: false` keeps
 * surrounding spaces, for texts where they mean something (a find & replace's ", ").
 */
export function textField(key: string, opts: { min?: number; max: number; pattern?: RegExp; patternMessage?: string; trim?: boolean }) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' is required` });
      return z.NEVER;
    }
    if (typeof value !== 'string') {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must be a string` });
      return z.NEVER;
    }
    const text = opts.trim === false ? value : value.trim();
    // Newlines and tabs are fine in a caption or description; other control characters and lone
    // surrogates only ever come from broken clients or probes.
    if (hasControlCharacters(text)) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must not contain control characters` });
      return z.NEVER;
    }
    const min = opts.min ?? 0;
    if (text.length < min) {
      ctx.addIssue({ code: 'custom', message: min <= 1 ? `Parameter '${key}' must not be empty` : `Parameter '${key}' must be at least ${min} characters` });
      return z.NEVER;
    }
    if (text.length > opts.max) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must be at most ${opts.max} characters` });
      return z.NEVER;
    }
    if (opts.pattern && !opts.pattern.test(text)) {
      ctx.addIssue({ code: 'custom', message: opts.patternMessage ?? `Parameter '${key}' has an invalid format` });
      return z.NEVER;
    }
    return text;
  }) as unknown as z.ZodType<string, string>;
}
