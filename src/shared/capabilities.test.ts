import { describe, expect, it } from 'vitest';
import { aiToolkitTraining, comfyuiImage, imageManifests, mockImage, mockTraining, trainingManifests } from './manifests.js';
import { formatParamName, type ParameterMap } from './capabilities.js';

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
  }
}

describe('capability manifests', () => {
  it.each(Object.entries(trainingManifests))('training manifest %s keeps the contract', (_n, m) => checkContract(m.parameters));
  it.each(Object.entries(imageManifests))('image manifest %s keeps the contract', (_n, m) => checkContract(m.parameters));

  it('ai-toolkit reports exactly the documented values', () => {
    expect(aiToolkitTraining.parameters.learning_rate).toEqual({ type: 'float', min: 1e-6, max: 0.01, step: 1e-6, default: 0.0001, wired: true });
    expect(aiToolkitTraining.parameters.lora_rank.options).toEqual([4, 8, 16, 32, 64, 128]);
    expect(aiToolkitTraining.parameters.network_alpha).toMatchObject({ wired: false, reason: 'Planned for Phase 2' });
    expect(aiToolkitTraining.parameters.gradient_accumulation).toMatchObject({ wired: false, reason: 'Not yet implemented in AI-Toolkit adapter' });
    expect(Object.keys(aiToolkitTraining.parameters)).toHaveLength(12);
    expect(aiToolkitTraining.parameters.sample_every).toMatchObject({ type: 'int', default: 250, wired: true });
    expect(aiToolkitTraining.parameters.keep_checkpoints).toMatchObject({ type: 'int', default: 4, wired: true });
  });

  it('comfyui reports the documented toggles and parameters', () => {
    expect(comfyuiImage.toggles.use_upscale).toEqual({ supported: true, description: '2x upscale with RealESRGAN' });
    expect(comfyuiImage.toggles.use_controlnet).toEqual({ supported: false, reason: 'Workflow not implemented' });
    expect(comfyuiImage.parameters.guidance_scale).toEqual({ type: 'float', min: 1.0, max: 20.0, step: 0.5, default: 3.5, wired: true });
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
