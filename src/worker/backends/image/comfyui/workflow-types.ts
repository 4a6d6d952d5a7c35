/**
 * Shapes shared by the workflow builder, validator, injector and client: the ComfyUI API-format
 * graph, the `/object_info` node definitions, and the tag contract of docs/contracts.md.
 */

/** One node of an API-format prompt. Links are `["<node id>", <output index>]`. */
export interface WorkflowNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string };
}
export type Workflow = Record<string, WorkflowNode>;

/** `[type]`, `[type, options]`, `[[combo values], options]`. */
export type InputSpec = readonly unknown[];
export interface NodeDef {
  input: {
    required?: Record<string, InputSpec>;
    optional?: Record<string, InputSpec>;
    hidden?: Record<string, unknown>;
  };
  output: readonly string[];
  output_node?: boolean;
  name?: string;
  python_module?: string;
}
export type ObjectInfo = Record<string, NodeDef>;

export const MODEL_VARIANTS = ['dev', 'schnell'] as const;
export type ModelVariant = (typeof MODEL_VARIANTS)[number];

export const WORKFLOW_NAMES = [
  'flux-dev',
  'flux-schnell',
  'flux-dev-lora',
  'flux-schnell-lora',
  'flux-dev-upscale',
  'flux-schnell-upscale',
  'flux-dev-lora-upscale',
  'flux-schnell-lora-upscale',
] as const;
export type WorkflowName = (typeof WORKFLOW_NAMES)[number];

export interface WorkflowShape {
  variant: ModelVariant;
  lora: boolean;
  upscale: boolean;
}

export function workflowName(shape: WorkflowShape): WorkflowName {
  return `flux-${shape.variant}${shape.lora ? '-lora' : ''}${shape.upscale ? '-upscale' : ''}` as WorkflowName;
}

export function parseWorkflowName(name: string): WorkflowShape | null {
  const m = /^flux-(dev|schnell)(-lora)?(-upscale)?$/.exec(name);
  if (!m) return null;
  return { variant: m[1] as ModelVariant, lora: Boolean(m[2]), upscale: Boolean(m[3]) };
}

/**
 * Where each parameter is injected: the tag, the class the tagged node must be, and the inputs the
 * injector writes. Node ids are never relied on, so a workflow can be re-exported from the UI.
 */
export const TAGS = {
  prompt: { title: 'isengard:prompt', class: 'CLIPTextEncode', inputs: ['text'] },
  latent: { title: 'isengard:latent', class: 'EmptySD3LatentImage', inputs: ['width', 'height'] },
  noise: { title: 'isengard:noise', class: 'RandomNoise', inputs: ['noise_seed'] },
  scheduler: { title: 'isengard:scheduler', class: 'BasicScheduler', inputs: ['steps'] },
  guidance: { title: 'isengard:guidance', class: 'FluxGuidance', inputs: ['guidance'] },
  model_sampling: { title: 'isengard:model_sampling', class: 'ModelSamplingFlux', inputs: ['width', 'height'] },
  lora: { title: 'isengard:lora', class: 'LoraLoaderModelOnly', inputs: ['lora_name', 'strength_model'] },
  upscale_model: { title: 'isengard:upscale_model', class: 'UpscaleModelLoader', inputs: ['model_name'] },
  save: { title: 'isengard:save', class: 'SaveImage', inputs: ['filename_prefix'] },
} as const;
export type TagKey = keyof typeof TAGS;

/** The tags a workflow of this shape must carry for the injector to do its job. */
export function requiredTags(shape: WorkflowShape): TagKey[] {
  const tags: TagKey[] = ['prompt', 'latent', 'noise', 'scheduler', 'save'];
  if (shape.variant === 'dev') tags.push('guidance', 'model_sampling');
  if (shape.lora) tags.push('lora');
  if (shape.upscale) tags.push('upscale_model');
  return tags;
}

/**
 * Inputs filled at job time whose template value need not be in the pod's option list: LoRAs are
 * linked into models/loras just before the prompt is queued, so the list is empty at start-up.
 */
export const RUNTIME_INPUTS: ReadonlyArray<{ tag: TagKey; input: string }> = [{ tag: 'lora', input: 'lora_name' }];

/** Inputs that name model files: a value missing from their list means the pod lacks the file. */
export const MODEL_FILE_INPUTS: Readonly<Record<string, readonly string[]>> = {
  UNETLoader: ['unet_name'],
  DualCLIPLoader: ['clip_name1', 'clip_name2'],
  VAELoader: ['vae_name'],
  UpscaleModelLoader: ['model_name'],
  CheckpointLoaderSimple: ['ckpt_name'],
};

export function isLink(value: unknown): value is [string, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === 'string' &&
    typeof value[1] === 'number' &&
    Number.isInteger(value[1])
  );
}

export function nodeTitle(node: WorkflowNode): string | undefined {
  return node._meta?.title;
}
