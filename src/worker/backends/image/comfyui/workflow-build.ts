/**
 * The one source of the eight committed `workflows/*.json` graphs. Writing the variants by hand
 * invites drift (a dev tweak missing from dev-lora-upscale); generating them keeps every variant
 * the same graph with optional segments. workflow-build.test.ts checks the files equal this output
 * and rewrites them when run with UPDATE_WORKFLOWS=1.
 */
import { TAGS, parseWorkflowName, type TagKey, type Workflow, type WorkflowName, type WorkflowNode } from './workflow-types.js';

export const DEFAULTS = {
  dev: { unet: 'flux1-dev.safetensors', steps: 20 },
  schnell: { unet: 'flux1-schnell.safetensors', steps: 4 },
  clip_t5: 't5xxl_fp16.safetensors',
  clip_l: 'clip_l.safetensors',
  vae: 'ae.safetensors',
  upscale_model: 'RealESRGAN_x2plus.pth',
  size: 1024,
  guidance: 3.5,
  lora_placeholder: 'isengard/lora.safetensors',
} as const;

/** Fixed ids per role, so the same node has the same id in every variant (easier diffs). */
const ID = {
  unet: '1',
  clip: '2',
  vae: '3',
  prompt: '4',
  guidance: '5',
  lora: '6',
  modelSampling: '7',
  guider: '8',
  sampler: '9',
  scheduler: '10',
  noise: '11',
  latent: '12',
  sample: '13',
  decode: '14',
  upscaleLoader: '15',
  upscale: '16',
  save: '17',
} as const;

function node(class_type: string, inputs: Record<string, unknown>, title: string): WorkflowNode {
  return { class_type, inputs, _meta: { title } };
}
function tagged(tag: TagKey, inputs: Record<string, unknown>): WorkflowNode {
  return node(TAGS[tag].class, inputs, TAGS[tag].title);
}

export function buildWorkflow(name: WorkflowName): Workflow {
  const shape = parseWorkflowName(name);
  if (!shape) throw new Error(`Unknown workflow name '${name}'`);
  const dev = shape.variant === 'dev';
  const g: Workflow = {};

  g[ID.unet] = node('UNETLoader', { unet_name: DEFAULTS[shape.variant].unet, weight_dtype: 'default' }, 'Load FLUX model');
  g[ID.clip] = node(
    'DualCLIPLoader',
    { clip_name1: DEFAULTS.clip_t5, clip_name2: DEFAULTS.clip_l, type: 'flux' },
    'Load text encoders',
  );
  g[ID.vae] = node('VAELoader', { vae_name: DEFAULTS.vae }, 'Load VAE');

  let model: [string, number] = [ID.unet, 0];
  if (shape.lora) {
    g[ID.lora] = tagged('lora', { model, lora_name: DEFAULTS.lora_placeholder, strength_model: 1.0 });
    model = [ID.lora, 0];
  }
  if (dev) {
    // Shift depends on resolution, so the injector writes the image size here too.
    g[ID.modelSampling] = tagged('model_sampling', {
      model,
      max_shift: 1.15,
      base_shift: 0.5,
      width: DEFAULTS.size,
      height: DEFAULTS.size,
    });
    model = [ID.modelSampling, 0];
  }

  g[ID.prompt] = tagged('prompt', { text: '', clip: [ID.clip, 0] });
  let conditioning: [string, number] = [ID.prompt, 0];
  if (dev) {
    // schnell is guidance-distilled: it has no guidance embedding to feed.
    g[ID.guidance] = tagged('guidance', { conditioning, guidance: DEFAULTS.guidance });
    conditioning = [ID.guidance, 0];
  }

  g[ID.guider] = node('BasicGuider', { model, conditioning }, 'Guider');
  g[ID.sampler] = node('KSamplerSelect', { sampler_name: 'euler' }, 'Sampler');
  g[ID.scheduler] = tagged('scheduler', { model, scheduler: 'simple', steps: DEFAULTS[shape.variant].steps, denoise: 1.0 });
  g[ID.noise] = tagged('noise', { noise_seed: 0 });
  g[ID.latent] = tagged('latent', { width: DEFAULTS.size, height: DEFAULTS.size, batch_size: 1 });
  g[ID.sample] = node(
    'SamplerCustomAdvanced',
    {
      noise: [ID.noise, 0],
      guider: [ID.guider, 0],
      sampler: [ID.sampler, 0],
      sigmas: [ID.scheduler, 0],
      latent_image: [ID.latent, 0],
    },
    'Sample',
  );
  g[ID.decode] = node('VAEDecode', { samples: [ID.sample, 0], vae: [ID.vae, 0] }, 'Decode');

  let image: [string, number] = [ID.decode, 0];
  if (shape.upscale) {
    g[ID.upscaleLoader] = tagged('upscale_model', { model_name: DEFAULTS.upscale_model });
    g[ID.upscale] = node('ImageUpscaleWithModel', { upscale_model: [ID.upscaleLoader, 0], image }, 'Upscale 2x');
    image = [ID.upscale, 0];
  }
  g[ID.save] = tagged('save', { images: image, filename_prefix: 'isengard' });
  return g;
}

/** File text exactly as committed: two-space JSON and a trailing newline. */
export function workflowFileText(name: WorkflowName): string {
  return JSON.stringify(buildWorkflow(name), null, 2) + '\n';
}
