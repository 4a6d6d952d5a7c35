import { describe, expect, it } from 'vitest';
import { buildWorkflow } from './workflow-build.js';
import { injectWorkflow, type InjectParams } from './workflow-inject.js';
import type { Workflow } from './workflow-types.js';

const params: InjectParams = {
  prompt: 'a photo of sks man',
  width: 768,
  height: 1344,
  seed: 12345,
  steps: 28,
  guidance_scale: 4.5,
  filenamePrefix: 'generation-0123456789ab',
};
const byClass = (g: Workflow, c: string) => Object.values(g).find((n) => n.class_type === c)!;

describe('injectWorkflow', () => {
  it('never mutates the template', () => {
    const template = buildWorkflow('flux-dev-lora-upscale');
    const before = JSON.stringify(template);
    const out = injectWorkflow(template, 'flux-dev-lora-upscale', { ...params, lora: { name: 'isengard/l.safetensors', strength: 0.8 } });
    expect(JSON.stringify(template)).toBe(before);
    expect(out).not.toBe(template);
    expect(out['4']!.inputs).not.toBe(template['4']!.inputs);
  });

  it('fills prompt, seed, steps, prefix, and width/height on the latent AND model sampling', () => {
    const g = injectWorkflow(buildWorkflow('flux-dev'), 'flux-dev', params);
    expect(byClass(g, 'CLIPTextEncode').inputs.text).toBe(params.prompt);
    expect(byClass(g, 'RandomNoise').inputs.noise_seed).toBe(12345);
    expect(byClass(g, 'BasicScheduler').inputs.steps).toBe(28);
    expect(byClass(g, 'SaveImage').inputs.filename_prefix).toBe('generation-0123456789ab');
    expect(byClass(g, 'EmptySD3LatentImage').inputs).toMatchObject({ width: 768, height: 1344, batch_size: 1 });
    expect(byClass(g, 'ModelSamplingFlux').inputs).toMatchObject({ width: 768, height: 1344 });
  });

  it('puts guidance in FluxGuidance and nowhere else', () => {
    const g = injectWorkflow(buildWorkflow('flux-dev'), 'flux-dev', params);
    expect(byClass(g, 'FluxGuidance').inputs.guidance).toBe(4.5);
    expect(Object.values(g).filter((n) => Object.values(n.inputs).includes(4.5))).toHaveLength(1);
    expect(Object.values(g).some((n) => 'cfg' in n.inputs)).toBe(false);
    // schnell has no guidance embedding: the value is ignored, not forced somewhere else.
    const s = injectWorkflow(buildWorkflow('flux-schnell'), 'flux-schnell', params);
    expect(Object.values(s).some((n) => Object.values(n.inputs).includes(4.5))).toBe(false);
  });

  it('sets a relative lora name and strength, refusing absolute paths', () => {
    const g = injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', {
      ...params,
      lora: { name: 'isengard/lora-abc.safetensors', strength: 0.7 },
    });
    expect(byClass(g, 'LoraLoaderModelOnly').inputs).toMatchObject({ lora_name: 'isengard/lora-abc.safetensors', strength_model: 0.7 });
    const abs = { ...params, lora: { name: '/runpod-volume/isengard/loras/x.safetensors', strength: 1 } };
    expect(() => injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', abs)).toThrow(/relative to models\/loras/);
    expect(() => injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', params)).toThrow(/needs a LoRA/);
  });

  it('keeps a seed above 2^53 exact', () => {
    const g = injectWorkflow(buildWorkflow('flux-schnell'), 'flux-schnell', { ...params, seed: 18446744073709551615n });
    expect(byClass(g, 'RandomNoise').inputs.noise_seed).toBe(18446744073709551615n);
  });

  it('throws naming the tag when a needed tag is missing', () => {
    const t = buildWorkflow('flux-dev');
    delete t['7']!._meta;
    expect(() => injectWorkflow(t, 'flux-dev', params)).toThrow("Workflow flux-dev has no node tagged 'isengard:model_sampling' (ModelSamplingFlux)");
    const u = buildWorkflow('flux-schnell-upscale');
    u['15']!._meta = { title: 'x' };
    expect(() => injectWorkflow(u, 'flux-schnell-upscale', params)).toThrow(/isengard:upscale_model/);
  });
});
