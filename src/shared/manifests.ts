/**
 * Capability manifests of every backend (docs/contracts.md), as plain data. Values are exactly the documented ones;
 * the mocks report the same parameters ("full schema mocks") under backend "mock".
 */
import type { ImageCapabilities, TrainingCapabilities } from './capabilities.js';

export const aiToolkitTraining = {
  method: 'lora',
  backend: 'ai-toolkit',
  parameters: {
    steps: { type: 'int', min: 100, max: 10000, default: 1000, wired: true },
    learning_rate: { type: 'float', min: 1e-6, max: 0.01, step: 1e-6, default: 0.0001, wired: true },
    lora_rank: { type: 'enum', options: [4, 8, 16, 32, 64, 128], default: 16, wired: true },
    resolution: { type: 'enum', options: [512, 768, 1024], default: 1024, wired: true },
    batch_size: { type: 'enum', options: [1, 2, 4], default: 1, wired: true },
    optimizer: { type: 'enum', options: ['adamw8bit', 'adamw', 'prodigy'], default: 'adamw8bit', wired: true },
    scheduler: {
      type: 'enum',
      options: ['constant', 'cosine', 'cosine_with_restarts', 'linear'],
      default: 'cosine',
      wired: true,
    },
    precision: { type: 'enum', options: ['bf16', 'fp16', 'fp32'], default: 'bf16', wired: true },
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
    width: { type: 'int', min: 512, max: 2048, default: 1024, wired: true },
    height: { type: 'int', min: 512, max: 2048, default: 1024, wired: true },
    steps: { type: 'int', min: 1, max: 100, default: 20, wired: true },
    guidance_scale: { type: 'float', min: 1.0, max: 20.0, step: 0.5, default: 3.5, wired: true },
    lora_strength: { type: 'float', min: 0.0, max: 2.0, step: 0.1, default: 1.0, wired: true },
  },
} as const satisfies ImageCapabilities;

export const mockTraining = { ...aiToolkitTraining, backend: 'mock' } as const satisfies TrainingCapabilities;
export const mockImage = { ...comfyuiImage, backend: 'mock' } as const satisfies ImageCapabilities;

export type TrainingManifest = typeof aiToolkitTraining;
export type ImageManifest = typeof comfyuiImage;

/** Manifests by backend name: the registry the server reads to describe the configured backends. */
export const trainingManifests = { 'ai-toolkit': aiToolkitTraining, mock: mockTraining } as const;
export const imageManifests = { comfyui: comfyuiImage, mock: mockImage } as const;

/**
 * Defaults that depend on the model variant, applied when a request leaves the key out: FLUX
 * schnell is distilled for 4 steps. Kept out of /api/info, whose shape is fixed (docs/contracts.md).
 */
export const variantDefaults: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'flux-schnell': { steps: 4 },
};
