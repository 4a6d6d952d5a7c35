import { describe, expect, it } from 'vitest';
import { aiToolkitTraining, captionManifests, comfyuiImage, florence2Caption, imageManifests, mockCaption, mockImage, mockTraining, trainingManifests } from './manifests.js';
import { CAPTION_MODES, CAPTION_STYLES, CAPTION_TRIGGERS } from './captions.js';
import { formatParamName, type ParameterMap } from './capabilities.js';
import { DIMENSION_MULTIPLE } from './capabilities-to-zod.js';

const VALID_TYPES = new Set(['int', 'float', 'enum', 'bool', 'string']);

/** The schema contract test (docs/contracts.md, Capabilities), for every manifest. */
function checkContract(parameters: ParameterMap) {
  for (const [name, param] of Object.entries(parameters)) {
    expect(VALID_TYPES.has(param.type), name).toBe(true);
    expect('default' in param, name).toBe(true);
    expect(typeof param.wired, name).toBe('boolean');
    if (param.type === 'enum') {
      expect(param.options?.length, name).toBeGreaterThan(0);
      expect(param.options, name).toContain(param.default);
    }
    if (param.min !== undefined && param.max !== undefined) {
      expect(param.min, name).toBeLessThanOrEqual(param.default as number);
      expect(param.default as number, name).toBeLessThanOrEqual(param.max);
    }
    if (!param.wired) expect(param.reason, name).toBeTruthy();
    // Every unavailable option is a listed option with a reason, and the default is available.
    for (const [option, reason] of Object.entries(param.unavailable_options ?? {})) {
      expect(param.options?.map(String), name).toContain(option);
      expect(reason, name).toBeTruthy();
    }
    expect(Object.keys(param.unavailable_options ?? {}), name).not.toContain(String(param.default));
    // A condition names a real field with real values, and says why.
    for (const [field, values] of Object.entries(param.applies_when ?? {})) {
      const target = parameters[field];
      if (target) for (const v of values) expect(target.type === 'bool' ? typeof v === 'boolean' : target.options?.includes(v as never), `${name}: ${field}=${String(v)}`).toBe(true);
      else expect(field, name).toBe('model_variant');
      expect(param.not_applicable_reason, name).toBeTruthy();
    }
  }
}

describe('capability manifests', () => {
  it.each(Object.entries(trainingManifests))('training manifest %s keeps the contract', (_n, m) => checkContract(m.parameters));
  it.each(Object.entries(imageManifests))('image manifest %s keeps the contract', (_n, m) => checkContract(m.parameters));
  it.each(Object.entries(captionManifests))('caption manifest %s keeps the contract', (_n, m) => checkContract(m.parameters));

  it('captioning: Florence-2-large with the three caption job parameters, the job input enums match, the mock copies it', () => {
    expect(florence2Caption).toMatchObject({ backend: 'florence2', model: 'microsoft/Florence-2-large' });
    expect(Object.keys(florence2Caption.parameters)).toEqual(['mode', 'style', 'trigger']);
    expect(florence2Caption.parameters.mode).toMatchObject({ options: [...CAPTION_MODES], default: 'missing', wired: true });
    expect(florence2Caption.parameters.style).toMatchObject({ options: [...CAPTION_STYLES], default: 'short', wired: true });
    expect(florence2Caption.parameters.trigger).toMatchObject({ options: [...CAPTION_TRIGGERS], default: 'prefix', wired: true });
    expect(mockCaption).toEqual({ ...florence2Caption, backend: 'mock', model: 'isengard/mock-captioner' });
  });

  it('ai-toolkit reports exactly the documented values', () => {
    expect(aiToolkitTraining.parameters.learning_rate).toMatchObject({ type: 'float', min: 1e-6, max: 0.01, step: 1e-6, default: 0.0001, wired: true });
    expect(aiToolkitTraining.parameters.lora_rank.options).toEqual([4, 8, 16, 32, 64, 128]);
    expect(aiToolkitTraining.parameters.network_alpha).toMatchObject({ wired: false, reason: 'Planned for Phase 2' });
    expect(aiToolkitTraining.parameters.gradient_accumulation).toMatchObject({ wired: false, reason: 'Not yet implemented in AI-Toolkit adapter' });
    expect(Object.keys(aiToolkitTraining.parameters)).toEqual([
      'steps', 'learning_rate', 'lora_rank', 'resolution', 'batch_size', 'optimizer', 'scheduler', 'precision',
      'use_ema', 'ema_decay', 'sample_every', 'keep_checkpoints', 'gradient_accumulation', 'network_alpha',
    ]);
    // EMA on with 0.99, as ai-toolkit's FLUX example (config/examples/train_lora_flux_24gb.yaml).
    expect(aiToolkitTraining.parameters.use_ema).toMatchObject({ type: 'bool', default: true, wired: true });
    expect(aiToolkitTraining.parameters.ema_decay).toMatchObject({ type: 'float', default: 0.99, wired: true, applies_when: { use_ema: [true] } });
    expect(aiToolkitTraining.parameters.sample_every).toMatchObject({ type: 'int', default: 250, wired: true });
    expect(aiToolkitTraining.parameters.keep_checkpoints).toMatchObject({ type: 'int', default: 4, wired: true });
  });

  it('comfyui reports the documented toggles and parameters', () => {
    expect(comfyuiImage.toggles.use_upscale).toEqual({ supported: true, description: '2x upscale with RealESRGAN' });
    expect(comfyuiImage.toggles.use_controlnet).toEqual({ supported: false, reason: 'Workflow not implemented' });
    expect(comfyuiImage.parameters.guidance_scale).toMatchObject({ type: 'float', min: 1.0, max: 20.0, step: 0.5, default: 3.5, wired: true });
    expect(comfyuiImage.parameters.guidance_scale.applies_when).toEqual({ model_variant: ['flux-dev'] });
    // The form steps by the multiple the server demands (EmptySD3LatentImage floors to 8 otherwise).
    expect(comfyuiImage.parameters.width.step).toBe(DIMENSION_MULTIPLE);
    expect(comfyuiImage.parameters.height.step).toBe(DIMENSION_MULTIPLE);
    expect(comfyuiImage.model_variants).toEqual(['flux-dev', 'flux-schnell']);
  });

  it('mocks are full-schema copies under backend "mock"', () => {
    expect(mockTraining.backend).toBe('mock');
    expect(mockTraining.parameters).toEqual(aiToolkitTraining.parameters);
    expect(mockImage.backend).toBe('mock');
    expect(mockImage.toggles).toEqual(comfyuiImage.toggles);
  });

  it('labels parameters in words', () => {
    expect(formatParamName('lora_rank')).toBe('Lora Rank');
    expect(formatParamName('use_upscale')).toBe('Use Upscale');
    expect(formatParamName('steps')).toBe('Steps');
  });
});
