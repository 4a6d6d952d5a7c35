/**
 * The one bridge from capability manifests (data) to zod schemas (behaviour). The schemas it
 * returns ARE the tRPC procedure inputs, so server validation and client types share one source.
 *
 * Per key, in submitted order (docs/contracts.md): unknown → dropped; unwired → rejected; type; min/max;
 * enum; unavailable option. Every bad key yields one issue at path [key]; missing keys take their
 * defaults. Then, on the whole config, a parameter whose `applies_when` does not hold is refused
 * when sent and left out when defaulted.
 */
import { z } from 'zod';
import type {
  ConfigOf,
  ImageCapabilities,
  ParameterMap,
  ParameterSchema,
  TrainingCapabilities,
} from './capabilities.js';
import { checkParam } from './param-check.js';
import { inapplicable, inapplicableMessage } from './param-applies.js';
import { hasControlCharacters } from './param-fields.js';

// Plain constants live in limits.ts so the SPA can use them without loading zod.
import { DIMENSION_MULTIPLE, PROMPT_MAX, SEED_MAX } from './limits.js';
export { DIMENSION_MULTIPLE, PROMPT_MAX, SEED_MAX };

export type ToggleConfig<T extends ImageCapabilities['toggles']> = { -readonly [K in keyof T]: boolean };
export type TrainingConfig<C extends TrainingCapabilities> = ConfigOf<C['parameters']>;
export type ImageConfig<C extends ImageCapabilities> = ConfigOf<C['parameters']> &
  ToggleConfig<C['toggles']> & { prompt: string; model_variant: C['model_variants'][number]; seed?: number };

type Issue = { path: string[]; message: string };
type Check = (config: Record<string, unknown>, key: string, value: unknown) => string | null;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates `raw` key by key against `fields` and fills defaults; returns config + issues. */
function validateConfig(raw: Record<string, unknown>, fields: Record<string, Check>, defaults: Record<string, unknown>) {
  const config: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [key, value] of Object.entries(raw)) {
    // Own keys only: `toString` or `__proto__` in a request must not find Object.prototype members.
    const check = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (!check || value === undefined) continue;
    const message = check(raw, key, value);
    if (message) issues.push({ path: [key], message });
    else config[key] = value;
  }
  for (const [key, value] of Object.entries(defaults)) {
    if (!(key in config) && value !== undefined) config[key] = value;
  }
  return { config, issues };
}

function parameterChecks(parameters: ParameterMap, backend: string): Record<string, Check> {
  const fields: Record<string, Check> = {};
  for (const [key, schema] of Object.entries(parameters)) {
    fields[key] = (_c, k, v) => checkParam(k, v, schema, backend);
  }
  return fields;
}

/** Defaults of wired parameters only: an unwired one is not part of what the backend will run. */
function parameterDefaults(parameters: ParameterMap): Record<string, unknown> {
  return Object.fromEntries(Object.entries(parameters).filter(([, p]) => p.wired).map(([k, p]) => [k, p.default]));
}

/** Last step on a valid config, with the raw input at hand: returns an issue or null. */
type Finish = (config: Record<string, unknown>, input: Record<string, unknown>) => Issue | null;

/**
 * Conditional parameters (`applies_when`), judged on the whole effective config: a value the
 * request sent is refused with a sentence naming the parameter; a default is dropped, so the
 * stored config never carries a value the backend would ignore.
 */
function applyConditions(parameters: ParameterMap, config: Record<string, unknown>, input: Record<string, unknown>): Issue | null {
  for (const [key, schema] of Object.entries(parameters)) {
    if (!schema.applies_when || !(key in config)) continue;
    const why = inapplicable(schema, config);
    if (!why) continue;
    if (input[key] !== undefined) return { path: [key], message: inapplicableMessage(key, why) };
    delete config[key];
  }
  return null;
}

function buildSchema(name: string, fields: Record<string, Check>, defaults: Record<string, unknown>, finish?: Finish) {
  return z.unknown().optional().transform((raw, ctx) => {
    const input = raw === undefined || raw === null ? {} : raw;
    if (!isPlainObject(input)) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${name}' must be an object` });
      return z.NEVER;
    }
    const { config, issues } = validateConfig(input, fields, defaults);
    const last = issues.length ? null : finish?.(config, input);
    if (last) issues.push(last);
    for (const issue of issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return issues.length ? z.NEVER : config;
  });
}

const promptCheck: Check = (_c, key, value) => {
  if (typeof value !== 'string') return `Parameter '${key}' must be a string`;
  const text = value.trim();
  if (text.length === 0) return `Parameter '${key}' must not be empty`;
  if (text.length > PROMPT_MAX) return `Parameter '${key}' must be at most ${PROMPT_MAX} characters`;
  // The same rule as names and captions: a prompt goes into workflow JSON and job logs.
  if (hasControlCharacters(text)) return `Parameter '${key}' must not contain control characters`;
  return null;
};

function imageFields(caps: ImageCapabilities): { fields: Record<string, Check>; defaults: Record<string, unknown> } {
  const fields = parameterChecks(caps.parameters, caps.backend);
  for (const dim of ['width', 'height']) {
    const base = fields[dim];
    if (!base) continue;
    fields[dim] = (c, k, v) =>
      base(c, k, v) ?? ((v as number) % DIMENSION_MULTIPLE !== 0 ? `Parameter '${k}' must be a multiple of ${DIMENSION_MULTIPLE}` : null);
  }
  fields.prompt = promptCheck;
  const variant: ParameterSchema = { type: 'enum', options: caps.model_variants, wired: true };
  fields.model_variant = (_c, k, v) => checkParam(k, v, variant, caps.backend);
  const seed: ParameterSchema = { type: 'int', min: 0, max: SEED_MAX, wired: true };
  fields.seed = (_c, k, v) => checkParam(k, v, seed, caps.backend);
  const defaults: Record<string, unknown> = { ...parameterDefaults(caps.parameters), model_variant: caps.model_variants[0] };
  for (const [key, toggle] of Object.entries(caps.toggles)) {
    fields[key] = (_c, k, v) => {
      if (typeof v !== 'boolean') return `Parameter '${k}' must be a boolean`;
      if (v && !toggle.supported) return `Toggle '${k}' not supported by ${caps.backend}: ${toggle.reason ?? 'Not supported'}`;
      return null;
    };
    defaults[key] = false;
  }
  return { fields, defaults };
}

function isImageCapabilities(caps: TrainingCapabilities | ImageCapabilities): caps is ImageCapabilities {
  return 'toggles' in caps;
}

export function capabilitiesToZod<const C extends TrainingCapabilities>(
  caps: C,
): z.ZodDefault<z.ZodType<TrainingConfig<C>, Partial<TrainingConfig<C>>>>;
export function capabilitiesToZod<const C extends ImageCapabilities>(
  caps: C,
  opts?: { variantDefaults?: Readonly<Record<string, Readonly<Record<string, unknown>>>> },
): z.ZodType<ImageConfig<C>, Partial<ImageConfig<C>> & { prompt: string }>;
export function capabilitiesToZod(
  caps: TrainingCapabilities | ImageCapabilities,
  opts: { variantDefaults?: Readonly<Record<string, Readonly<Record<string, unknown>>>> } = {},
): z.ZodType {
  if (isImageCapabilities(caps)) {
    const { fields, defaults } = imageFields(caps);
    return buildSchema('config', fields, defaults, (config, input) => {
      if (config.prompt === undefined) return { path: ['prompt'], message: `Parameter 'prompt' is required` };
      config.prompt = (config.prompt as string).trim();
      for (const [key, value] of Object.entries(opts.variantDefaults?.[config.model_variant as string] ?? {})) {
        if (input[key] === undefined && key in caps.parameters) config[key] = value;
      }
      return applyConditions(caps.parameters, config, input);
    });
  }
  return buildSchema('config', parameterChecks(caps.parameters, caps.backend), parameterDefaults(caps.parameters), (config, input) =>
    applyConditions(caps.parameters, config, input),
  );
}
