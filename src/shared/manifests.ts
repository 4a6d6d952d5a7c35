/**
 * Capability manifests of every backend (docs/contracts.md), as plain data. Values are exactly the documented ones;
 * the mocks report the same parameters ("full schema mocks") under backend "mock".
 */
import type { CaptionCapabilities, ImageCapabilities, TrainingCapabilities } from './capabilities.js';

/** Why learning_rate is not offered with prodigy (toolkit/optimizer.get_optimizer). */
const PRODIGY_LR_REASON = 'Prodigy sets its own step size: ai-toolkit replaces any learning rate below 0.1 with 1.0';
/** toolkit/scheduler.get_lr_scheduler after BaseSDTrainProcess adds total_iters = steps. */
const RESTARTS_REASON =
  'ai-toolkit sets the restart period T_0 to the whole run (total_iters = steps replaces any T_0 given), so it never restarts; use cosine';
const BF16_ONLY = "FLUX trains in bf16 on ai-toolkit (its FLUX examples: other dtypes may not work correctly)";

export const aiToolkitTraining = {
  method: 'lora',
  backend: 'ai-toolkit',
  parameters: {
    steps: { type: 'int', min: 100, max: 10000, default: 1000, wired: true },
    learning_rate: {
      type: 'float',
      min: 1e-6,
      max: 0.01,
      step: 1e-6,
      default: 0.0001,
      wired: true,
      applies_when: { optimizer: ['adamw8bit', 'adamw'] },
      not_applicable_reason: PRODIGY_LR_REASON,
    },
    lora_rank: { type: 'enum', options: [4, 8, 16, 32, 64, 128], default: 16, wired: true },
    resolution: { type: 'enum', options: [512, 768, 1024], default: 1024, wired: true },
    batch_size: { type: 'enum', options: [1, 2, 4], default: 1, wired: true },
    optimizer: {
      type: 'enum',
      options: ['adamw8bit', 'adamw', 'prodigy'],
      default: 'adamw8bit',
      wired: true,
      description: 'prodigy finds its own step size, so Learning Rate does not apply with it',
    },
    scheduler: {
      type: 'enum',
      options: ['constant', 'cosine', 'cosine_with_restarts', 'linear'],
      default: 'cosine',
      wired: true,
      description: 'Learning rate over the run: constant stays; cosine and linear decay from the learning rate to 0 by the last step',
      unavailable_options: { cosine_with_restarts: RESTARTS_REASON },
    },
    precision: {
      type: 'enum',
      options: ['bf16', 'fp16', 'fp32'],
      default: 'bf16',
      wired: true,
      unavailable_options: { fp16: BF16_ONLY, fp32: BF16_ONLY },
    },
    use_ema: {
      type: 'bool',
      default: true,
      wired: true,
      description: "Train with an exponential moving average of the LoRA weights (saved files hold the average), as ai-toolkit's FLUX example does: smoother, steadier results",
    },
    ema_decay: {
      type: 'float',
      min: 0.9,
      max: 0.9999,
      step: 0.001,
      default: 0.99,
      wired: true,
      description: 'Weight of the running average at each step: higher is smoother and slower to follow',
      applies_when: { use_ema: [true] },
      not_applicable_reason: 'Only used with Use Ema on',
    },
    sample_every: {
      type: 'int',
      min: 10,
      max: 10000,
      default: 250,
      wired: true,
      description: 'Sample images every N steps, one per sample prompt, with a fixed seed',
    },
    keep_checkpoints: {
      type: 'int',
      min: 1,
      max: 20,
      default: 4,
      wired: true,
      description: 'Keep last N checkpoints; older ones are deleted (ai-toolkit max_step_saves_to_keep)',
    },
    gradient_accumulation: {
      type: 'int',
      min: 1,
      max: 8,
      default: 1,
      wired: false,
      reason: 'Not yet implemented in AI-Toolkit adapter',
    },
    network_alpha: { type: 'int', min: 1, max: 128, default: 16, wired: false, reason: 'Planned for Phase 2' },
  },
} as const satisfies TrainingCapabilities;

/** Multiple of 16: FLUX works in 16 px blocks, and EmptySD3LatentImage would floor other sizes to 8. */
const DIMENSION_DESCRIPTION = 'Pixels, a multiple of 16';

export const comfyuiImage = {
  backend: 'comfyui',
  model_variants: ['flux-dev', 'flux-schnell'],
  toggles: {
    use_upscale: { supported: true, description: '2x upscale with RealESRGAN' },
    use_facedetailer: { supported: false, reason: 'Workflow not implemented' },
    use_ipadapter: { supported: false, reason: 'Workflow not implemented' },
    use_controlnet: { supported: false, reason: 'Workflow not implemented' },
  },
  parameters: {
    width: { type: 'int', min: 512, max: 2048, step: 16, default: 1024, wired: true, description: DIMENSION_DESCRIPTION },
    height: { type: 'int', min: 512, max: 2048, step: 16, default: 1024, wired: true, description: DIMENSION_DESCRIPTION },
    steps: { type: 'int', min: 1, max: 100, default: 20, wired: true },
    guidance_scale: {
      type: 'float',
      min: 1.0,
      max: 20.0,
      step: 0.5,
      default: 3.5,
      wired: true,
      applies_when: { model_variant: ['flux-dev'] },
      not_applicable_reason: 'FLUX schnell is distilled without guidance: its graphs have no FluxGuidance node',
    },
    lora_strength: { type: 'float', min: 0.0, max: 2.0, step: 0.1, default: 1.0, wired: true },
  },
} as const satisfies ImageCapabilities;

export const mockTraining = { ...aiToolkitTraining, backend: 'mock' } as const satisfies TrainingCapabilities;
export const mockImage = { ...comfyuiImage, backend: 'mock' } as const satisfies ImageCapabilities;

/**
 * Florence-2 captioning (issue #18): `short` runs the model's `<CAPTION>` task, `detailed` its
 * `<DETAILED_CAPTION>` task; the trigger word is put in front by the caption job, not by the model.
 */
export const florence2Caption = {
  backend: 'florence2',
  model: 'microsoft/Florence-2-large',
  parameters: {
    mode: {
      type: 'enum',
      options: ['missing', 'all'],
      default: 'missing',
      wired: true,
      description: 'missing: only images without a caption (a caption typed by hand is never replaced); all: every image, overwriting',
    },
    style: { type: 'enum', options: ['short', 'detailed'], default: 'short', wired: true, description: 'short: one line; detailed: a few sentences' },
    trigger: { type: 'enum', options: ['prefix', 'none'], default: 'prefix', wired: true, description: "prefix: each caption starts with the character's trigger word" },
  },
} as const satisfies CaptionCapabilities;

/** Describes each image by its size, orientation and dominant colour: real text, no model. */
export const mockCaption = { ...florence2Caption, backend: 'mock', model: 'isengard/mock-captioner' } as const satisfies CaptionCapabilities;

export type TrainingManifest = typeof aiToolkitTraining;
export type ImageManifest = typeof comfyuiImage;

/** Manifests by backend name: the registry the server reads to describe the configured backends. */
export const trainingManifests = { 'ai-toolkit': aiToolkitTraining, mock: mockTraining } as const;
export const imageManifests = { comfyui: comfyuiImage, mock: mockImage } as const;
export const captionManifests = { florence2: florence2Caption, mock: mockCaption } as const;
export type CaptionManifest = typeof florence2Caption;

/**
 * Defaults that depend on the model variant, applied when a request leaves the key out: FLUX
 * schnell is distilled for 4 steps. Kept out of /api/info, whose shape is fixed (docs/contracts.md).
 */
export const variantDefaults: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'flux-schnell': { steps: 4 },
};
