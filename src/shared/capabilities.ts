/**
 * Capability vocabulary (docs/contracts.md): what a backend reports about the parameters it accepts.
 * Plain data types only; validation lives in capabilities-to-zod.ts.
 */
export type ParameterType = 'int' | 'float' | 'enum' | 'bool' | 'string';
export type EnumOption = string | number;
/** A value a condition can name: an enum option, a model variant or a bool parameter's value. */
export type ConditionValue = string | number | boolean;

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
  /**
   * Enum options that are listed but refused, each with the reason (the form shows them disabled
   * with it; the server answers `Parameter 'KEY' option 'VALUE' not supported by BACKEND: REASON`).
   */
  readonly unavailable_options?: Readonly<Record<string, string>>;
  /**
   * The parameter applies only while every named field of the same config holds one of the listed
   * values, e.g. `{ model_variant: ['flux-dev'] }`. Otherwise the form disables it with
   * `not_applicable_reason`, the server refuses a submitted value
   * (`Parameter 'KEY' does not apply when FIELD is 'VALUE': REASON`) and stores none.
   */
  readonly applies_when?: Readonly<Record<string, readonly ConditionValue[]>>;
  readonly not_applicable_reason?: string;
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

/**
 * A captioning backend (issue #18): which model writes the captions and the parameters a caption job
 * takes (`mode`, `style`, `trigger`), drawn by the SPA like the training and generation forms.
 */
export interface CaptionCapabilities {
  readonly backend: string;
  /** The caption model, as recorded in each caption's source (`caption_source.model`). */
  readonly model: string;
  readonly parameters: ParameterMap;
}

export interface ApiInfo {
  name: 'Isengard API';
  version: string;
  mode: string;
  training: TrainingCapabilities;
  image_generation: ImageCapabilities;
  captioning: CaptionCapabilities;
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

/** Keys of the parameters that only apply under a condition (`applies_when`): absent otherwise. */
export type ConditionalKeys<M extends ParameterMap> = {
  [K in keyof M]: M[K] extends { readonly applies_when: object } ? K : never;
}[keyof M];

/** A config as the server stores it: conditional parameters are optional, the rest always present. */
export type ConfigOf<M extends ParameterMap> = { -readonly [K in Exclude<keyof M, ConditionalKeys<M>>]: ParamValue<M[K]> } & {
  -readonly [K in ConditionalKeys<M>]?: ParamValue<M[K]>;
};

/** `lora_rank` → "Lora Rank": the label the SPA and its tests use for a parameter. */
export function formatParamName(key: string): string {
  return key
    .split('_')
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}
