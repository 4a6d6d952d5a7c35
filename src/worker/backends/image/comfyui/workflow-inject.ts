/**
 * Fills a workflow template with one image's parameters. Pure: the template is deep-cloned so the
 * copy loaded at start-up serves every job unchanged. Nodes are found by `_meta.title` tag only.
 */
import path from 'node:path';
import { TAGS, nodeTitle, parseWorkflowName, requiredTags, type TagKey, type Workflow, type WorkflowName, type WorkflowNode } from './workflow-types.js';

export interface InjectParams {
  prompt: string;
  width: number;
  height: number;
  /** Up to 2^64−1, hence bigint allowed. */
  seed: number | bigint;
  steps: number;
  /** dev only: FLUX guidance embedding (FluxGuidance), never a KSampler cfg. */
  guidance_scale?: number;
  /** Name relative to ComfyUI's models/loras, e.g. `isengard/lora-abc.safetensors`. */
  lora?: { name: string; strength: number };
  /** SaveImage filename_prefix: the job id, so outputs are traceable in ComfyUI's output folder. */
  filenamePrefix: string;
}

export class WorkflowTagError extends Error {}

export function injectWorkflow(template: Workflow, name: WorkflowName, params: InjectParams): Workflow {
  const shape = parseWorkflowName(name);
  if (!shape) throw new Error(`Unknown workflow name '${name}'`);
  const graph = structuredClone(template);
  const byTag = (key: TagKey): WorkflowNode => {
    const tag = TAGS[key];
    const found = Object.values(graph).find((n) => nodeTitle(n) === tag.title);
    if (!found) throw new WorkflowTagError(`Workflow ${name} has no node tagged '${tag.title}' (${tag.class})`);
    return found;
  };
  // Resolve every tag first so a broken template fails before anything is half-filled.
  const nodes = Object.fromEntries(requiredTags(shape).map((k) => [k, byTag(k)])) as Partial<Record<TagKey, WorkflowNode>>;

  nodes.prompt!.inputs.text = params.prompt;
  nodes.latent!.inputs.width = params.width;
  nodes.latent!.inputs.height = params.height;
  nodes.noise!.inputs.noise_seed = params.seed;
  nodes.scheduler!.inputs.steps = params.steps;
  nodes.save!.inputs.filename_prefix = params.filenamePrefix;
  if (nodes.model_sampling) {
    nodes.model_sampling.inputs.width = params.width;
    nodes.model_sampling.inputs.height = params.height;
  }
  if (params.guidance_scale !== undefined) {
    // Never dropped silently: only graphs with a FluxGuidance node (dev) take a guidance value.
    if (!nodes.guidance) throw new WorkflowTagError(`Workflow ${name} has no FluxGuidance node: guidance_scale does not apply to it`);
    nodes.guidance.inputs.guidance = params.guidance_scale;
  }
  if (shape.lora) {
    if (!params.lora) throw new Error(`Workflow ${name} needs a LoRA but none was given`);
    if (path.isAbsolute(params.lora.name) || params.lora.name.split(/[\\/]/).includes('..')) {
      // ComfyUI resolves lora_name inside models/loras; an absolute path fails its list check.
      throw new Error(`lora_name must be relative to models/loras, got '${params.lora.name}'`);
    }
    nodes.lora!.inputs.lora_name = params.lora.name;
    nodes.lora!.inputs.strength_model = params.lora.strength;
  }
  return graph;
}
