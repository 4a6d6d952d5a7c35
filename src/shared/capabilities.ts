/**
 * Capability vocabulary (docs/contracts.md): what a backend reports about the parameters it accepts.
 * Plain data types only; validation lives in capabilities-to-zod.ts.
 */
export type ParameterType = 'int' | 'float' | 'enum' | 'bool' | 'string';
export type EnumOption = string | number;

export interface ParameterSchema {
  readonly type: ParameterType;
  readonly min?: number;
  readonly max?: number;
  /** UI hint only. */
  readonly step?: number;
  readonly options?: readonly EnumOption[];
  readonly default?: unknown;
  readonly wired: boolean;
  readonly reason?: string;
  readonly description?: string;
}

export type ParameterMap = Readonly<Record<string, ParameterSchema>>;

export interface TrainingCapabilities {
  readonly method: 'lora';
  readonly backend: string;
  readonly parameters: ParameterMap;
}

export interface ToggleSchema {
  readonly supported: boolean;
  readonly description?: string;
  readonly reason?: string;
}

export interface ImageCapabilities {
  readonly backend: string;
  readonly model_variants: readonly string[];
  readonly toggles: Readonly<Record<string, ToggleSchema>>;
  readonly parameters: ParameterMap;
}

export interface ApiInfo {
  name: 'Isengard API';
  version: string;
  mode: string;
  training: TrainingCapabilities;
  image_generation: ImageCapabilities;
}

/** TS value type of one parameter schema, so form state and procedure inputs share one definition. */
export type ParamValue<P extends ParameterSchema> = P['type'] extends 'int' | 'float'
  ? number
  : P['type'] extends 'bool'
    ? boolean
    : P['type'] extends 'string'
      ? string
      : P['options'] extends readonly (infer O)[]
        ? O
        : EnumOption;

export type ConfigOf<M extends ParameterMap> = { -readonly [K in keyof M]: ParamValue<M[K]> };

/** `lora_rank` → "Lora Rank": the label the SPA and its tests use for a parameter. */
export function formatParamName(key: string): string {
  return key
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}
