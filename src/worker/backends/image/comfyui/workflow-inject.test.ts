import { describe, expect, it } from 'vitest';
import { comfyuiImage } from '../../../../shared/manifests.js';
import type { ParameterSchema } from '../../../../shared/capabilities.js';
import { inapplicable } from '../../../../shared/param-applies.js';
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
/** schnell graphs take no guidance (no FluxGuidance node). */
const { guidance_scale: _devOnly, ...schnellParams } = params;
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
    // schnell has no guidance embedding: a value is refused, never dropped or forced elsewhere.
    expect(() => injectWorkflow(buildWorkflow('flux-schnell'), 'flux-schnell', params)).toThrow(
      'Workflow flux-schnell has no FluxGuidance node: guidance_scale does not apply to it',
    );
    const s = injectWorkflow(buildWorkflow('flux-schnell'), 'flux-schnell', schnellParams);
    expect(Object.values(s).some((n) => n.class_type === 'FluxGuidance')).toBe(false);
  });

  it('sets a relative lora name and strength, refusing absolute paths', () => {
    const g = injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', {
      ...schnellParams,
      lora: { name: 'isengard/lora-abc.safetensors', strength: 0.7 },
    });
    expect(byClass(g, 'LoraLoaderModelOnly').inputs).toMatchObject({ lora_name: 'isengard/lora-abc.safetensors', strength_model: 0.7 });
    const abs = { ...schnellParams, lora: { name: '/runpod-volume/isengard/loras/x.safetensors', strength: 1 } };
    expect(() => injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', abs)).toThrow(/relative to models\/loras/);
    expect(() => injectWorkflow(buildWorkflow('flux-schnell-lora'), 'flux-schnell-lora', schnellParams)).toThrow(/needs a LoRA/);
  });

  it('keeps a seed above 2^53 exact', () => {
    const g = injectWorkflow(buildWorkflow('flux-schnell'), 'flux-schnell', { ...schnellParams, seed: 18446744073709551615n });
    expect(byClass(g, 'RandomNoise').inputs.noise_seed).toBe(18446744073709551615n);
  });

  it('throws naming the tag when a needed tag is missing', () => {
    const t = buildWorkflow('flux-dev');
    delete t['7']!._meta;
    expect(() => injectWorkflow(t, 'flux-dev', params)).toThrow("Workflow flux-dev has no node tagged 'isengard:model_sampling' (ModelSamplingFlux)");
    const u = buildWorkflow('flux-schnell-upscale');
    u['15']!._meta = { title: 'x' };
    expect(() => injectWorkflow(u, 'flux-schnell-upscale', schnellParams)).toThrow(/isengard:upscale_model/);
  });
});

describe('every wired image parameter × its bounds × every variant it applies to, as ComfyUI reads the graph', () => {
  const P = comfyuiImage.parameters as Readonly<Record<string, ParameterSchema>>;
  /** Where ComfyUI reads each parameter, and the InjectParams field that carries it. */
  const reads: Record<string, { field: keyof InjectParams; at: [string, string][] }> = {
    width: { field: 'width', at: [['EmptySD3LatentImage', 'width'], ['ModelSamplingFlux', 'width']] },
    height: { field: 'height', at: [['EmptySD3LatentImage', 'height'], ['ModelSamplingFlux', 'height']] },
    steps: { field: 'steps', at: [['BasicScheduler', 'steps']] },
    guidance_scale: { field: 'guidance_scale', at: [['FluxGuidance', 'guidance']] },
    lora_strength: { field: 'lora', at: [['LoraLoaderModelOnly', 'strength_model']] },
  };

  it('knows where every wired parameter lands', () => {
    expect(Object.keys(reads).sort()).toEqual(Object.entries(P).filter(([, p]) => p.wired).map(([k]) => k).sort());
  });

  const cases = Object.entries(P).flatMap(([key, schema]) =>
    comfyuiImage.model_variants.flatMap((variant) => [schema.min!, schema.max!].map((value) => [key, variant, value] as const)),
  );
  it.each(cases)('%s on %s = %s', (key, variant, value) => {
    const name = `${variant}-lora` as const;
    const applies = inapplicable(P[key]!, { model_variant: variant }) === null;
    const base = variant === 'flux-dev' ? params : schnellParams;
    const lora = { name: 'isengard/l.safetensors', strength: key === 'lora_strength' ? value : 1 };
    const injected = { ...base, lora, ...(key === 'lora_strength' ? {} : { [reads[key]!.field]: value }) };
    if (!applies) {
      // Refused by the API; and the graph has nowhere to put it, so injection refuses too.
      expect(() => injectWorkflow(buildWorkflow(name), name, injected)).toThrow(/does not apply/);
      return;
    }
    const g = injectWorkflow(buildWorkflow(name), name, injected);
    for (const [cls, input] of reads[key]!.at) {
      const target = Object.values(g).find((n) => n.class_type === cls);
      if (cls === 'ModelSamplingFlux' && variant === 'flux-schnell') {
        expect(target, 'schnell has no ModelSamplingFlux').toBeUndefined();
        continue;
      }
      expect(target!.inputs[input], `${cls}.${input}`).toBe(value);
    }
  });

  it('offers only sizes EmptySD3LatentImage keeps exactly (it floors to multiples of 8)', () => {
    for (const key of ['width', 'height'] as const) {
      const { min, max, step } = comfyuiImage.parameters[key];
      expect(step).toBe(16);
      for (let v = min; v <= max; v += step) expect(Math.floor(v / 8) * 8, `${key} ${v}`).toBe(v);
    }
  });
});
