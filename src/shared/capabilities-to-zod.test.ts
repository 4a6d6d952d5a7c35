import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { capabilitiesToZod } from './capabilities-to-zod.js';
import { aiToolkitTraining, comfyuiImage, mockTraining } from './manifests.js';

function issues(schema: z.ZodType, input: unknown) {
  const r = schema.safeParse(input);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}
const firstMessage = (schema: z.ZodType, input: unknown) => issues(schema, input)[0]?.message;

const training = capabilitiesToZod(aiToolkitTraining);
const image = capabilitiesToZod(comfyuiImage);

describe('capabilitiesToZod: training', () => {
  it('fills every wired default when nothing is given (unwired ones are not part of the effective config)', () => {
    expect(training.parse({})).toEqual({
      steps: 1000,
      learning_rate: 0.0001,
      lora_rank: 16,
      resolution: 1024,
      batch_size: 1,
      optimizer: 'adamw8bit',
      scheduler: 'cosine',
      precision: 'bf16',
      use_ema: true,
      ema_decay: 0.99,
      sample_every: 250,
      keep_checkpoints: 4,
    });
    expect(training.parse(undefined)).toMatchObject({ steps: 1000 });
  });

  it('refuses an unavailable option with its reason, after the enum check', () => {
    expect(firstMessage(training, { precision: 'fp16' })).toBe(
      "Parameter 'precision' option 'fp16' not supported by ai-toolkit: FLUX trains in bf16 on ai-toolkit (its FLUX examples: other dtypes may not work correctly)",
    );
    expect(firstMessage(training, { precision: 'fp32' })).toMatch(/^Parameter 'precision' option 'fp32' not supported by ai-toolkit: /);
    expect(firstMessage(training, { scheduler: 'cosine_with_restarts' })).toMatch(
      /^Parameter 'scheduler' option 'cosine_with_restarts' not supported by ai-toolkit: ai-toolkit sets the restart period T_0 to the whole run/,
    );
    expect(firstMessage(training, { precision: 'fp8' })).toBe("Parameter 'precision' must be one of ['bf16', 'fp16', 'fp32']");
    expect(issues(training, { precision: 'bf16', scheduler: 'linear' })).toEqual([]);
  });

  it('applies_when: learning_rate is refused beside prodigy, and its default is not stored', () => {
    expect(issues(training, { optimizer: 'prodigy', learning_rate: 5e-5 })).toEqual([
      {
        path: 'learning_rate',
        message:
          "Parameter 'learning_rate' does not apply when optimizer is 'prodigy': Prodigy sets its own step size: ai-toolkit replaces any learning rate below 0.1 with 1.0",
      },
    ]);
    const out = training.parse({ optimizer: 'prodigy' }) as Record<string, unknown>;
    expect(out.optimizer).toBe('prodigy');
    expect('learning_rate' in out).toBe(false);
    expect(training.parse({ optimizer: 'adamw', learning_rate: 5e-5 })).toMatchObject({ learning_rate: 5e-5 });
  });

  it('applies_when on a bool: ema_decay only with use_ema', () => {
    expect(firstMessage(training, { use_ema: false, ema_decay: 0.95 })).toBe(
      "Parameter 'ema_decay' does not apply when use_ema is false: Only used with Use Ema on",
    );
    expect('ema_decay' in (training.parse({ use_ema: false }) as Record<string, unknown>)).toBe(false);
    expect(training.parse({ ema_decay: 0.95 })).toMatchObject({ use_ema: true, ema_decay: 0.95 });
  });

  it('drops unknown keys silently (forward compatibility)', () => {
    const out = training.parse({ steps: 500, future_knob: 3 }) as Record<string, unknown>;
    expect(out.steps).toBe(500);
    expect('future_knob' in out).toBe(false);
  });

  it('rejects an unwired parameter naming the backend and reason', () => {
    expect(firstMessage(training, { network_alpha: 32 })).toBe("Parameter 'network_alpha' not supported by ai-toolkit: Planned for Phase 2");
    expect(firstMessage(capabilitiesToZod(mockTraining), { gradient_accumulation: 2 })).toBe(
      "Parameter 'gradient_accumulation' not supported by mock: Not yet implemented in AI-Toolkit adapter",
    );
  });

  it('checks unwired before type', () => {
    expect(firstMessage(training, { network_alpha: 'x' })).toBe("Parameter 'network_alpha' not supported by ai-toolkit: Planned for Phase 2");
  });

  it('type sentences', () => {
    expect(firstMessage(training, { steps: 10.5 })).toBe("Parameter 'steps' must be an integer");
    expect(firstMessage(training, { steps: '1000' })).toBe("Parameter 'steps' must be an integer");
    expect(firstMessage(training, { learning_rate: 'fast' })).toBe("Parameter 'learning_rate' must be a number");
    expect(firstMessage(image, { prompt: 'x', use_upscale: 'yes' })).toBe("Parameter 'use_upscale' must be a boolean");
    expect(firstMessage(image, { prompt: 42 })).toBe("Parameter 'prompt' must be a string");
  });

  it('range sentences use JS number formatting', () => {
    expect(firstMessage(training, { steps: 99 })).toBe("Parameter 'steps' below minimum (100)");
    expect(firstMessage(training, { steps: 10001 })).toBe("Parameter 'steps' above maximum (10000)");
    expect(firstMessage(training, { learning_rate: 1e-7 })).toBe("Parameter 'learning_rate' below minimum (0.000001)");
    expect(firstMessage(training, { learning_rate: 0.5 })).toBe("Parameter 'learning_rate' above maximum (0.01)");
  });

  it('enum sentences render as documented (numbers bare, strings quoted)', () => {
    expect(firstMessage(training, { lora_rank: 12 })).toBe("Parameter 'lora_rank' must be one of [4, 8, 16, 32, 64, 128]");
    expect(firstMessage(training, { lora_rank: '16' })).toBe("Parameter 'lora_rank' must be one of [4, 8, 16, 32, 64, 128]");
    expect(firstMessage(training, { optimizer: 'sgd' })).toBe("Parameter 'optimizer' must be one of ['adamw8bit', 'adamw', 'prodigy']");
  });

  it('lists every bad key, in submitted order, at its path', () => {
    expect(issues(training, { optimizer: 'sgd', steps: 1, network_alpha: 4 })).toEqual([
      { path: 'optimizer', message: "Parameter 'optimizer' must be one of ['adamw8bit', 'adamw', 'prodigy']" },
      { path: 'steps', message: "Parameter 'steps' below minimum (100)" },
      { path: 'network_alpha', message: "Parameter 'network_alpha' not supported by ai-toolkit: Planned for Phase 2" },
    ]);
  });

  it('rejects a config that is not an object', () => {
    expect(firstMessage(training, [1, 2])).toBe("Parameter 'config' must be an object");
    expect(firstMessage(training, 'steps=5')).toBe("Parameter 'config' must be an object");
  });
});

describe('capabilitiesToZod: image', () => {
  it('applies variant defaults only to keys the request left out', () => {
    const schema = capabilitiesToZod(comfyuiImage, { variantDefaults: { 'flux-schnell': { steps: 4 } } });
    expect((schema.parse({ prompt: 'x', model_variant: 'flux-schnell' }) as { steps: number }).steps).toBe(4);
    expect((schema.parse({ prompt: 'x', model_variant: 'flux-schnell', steps: 8 }) as { steps: number }).steps).toBe(8);
    expect((schema.parse({ prompt: 'x' }) as { steps: number }).steps).toBe(20);
  });

  it('fills defaults, toggles false, and trims the prompt', () => {
    expect(image.parse({ prompt: '  a portrait  ' })).toEqual({
      prompt: 'a portrait',
      model_variant: 'flux-dev',
      width: 1024,
      height: 1024,
      steps: 20,
      guidance_scale: 3.5,
      lora_strength: 1.0,
      use_upscale: false,
      use_facedetailer: false,
      use_ipadapter: false,
      use_controlnet: false,
    });
  });

  it('applies_when: guidance_scale is refused for flux-schnell, whose graphs have no FluxGuidance', () => {
    expect(issues(image, { prompt: 'x', model_variant: 'flux-schnell', guidance_scale: 3.5 })).toEqual([
      {
        path: 'guidance_scale',
        message:
          "Parameter 'guidance_scale' does not apply when model_variant is 'flux-schnell': FLUX schnell is distilled without guidance: its graphs have no FluxGuidance node",
      },
    ]);
    const schnell = image.parse({ prompt: 'x', model_variant: 'flux-schnell' }) as Record<string, unknown>;
    expect('guidance_scale' in schnell).toBe(false);
    expect(image.parse({ prompt: 'x', model_variant: 'flux-dev', guidance_scale: 5 })).toMatchObject({ guidance_scale: 5 });
  });

  it('refuses a true unsupported toggle with its reason, accepts a false one', () => {
    expect(firstMessage(image, { prompt: 'x', use_facedetailer: true })).toBe(
      "Toggle 'use_facedetailer' not supported by comfyui: Workflow not implemented",
    );
    expect(issues(image, { prompt: 'x', use_facedetailer: false })).toEqual([]);
  });

  it('needs multiples of 16 for width and height, after the range check', () => {
    expect(firstMessage(image, { prompt: 'x', width: 1000 })).toBe("Parameter 'width' must be a multiple of 16");
    expect(firstMessage(image, { prompt: 'x', height: 520 })).toBe("Parameter 'height' must be a multiple of 16");
    expect(firstMessage(image, { prompt: 'x', width: 500 })).toBe("Parameter 'width' below minimum (512)");
  });

  it('checks prompt presence and length', () => {
    expect(firstMessage(image, {})).toBe("Parameter 'prompt' is required");
    expect(firstMessage(image, { prompt: '   ' })).toBe("Parameter 'prompt' must not be empty");
    expect(firstMessage(image, { prompt: 'x'.repeat(2001) })).toBe("Parameter 'prompt' must be at most 2000 characters");
    expect(issues(image, { prompt: 'x'.repeat(2000) })).toEqual([]);
  });

  it('checks model_variant and seed', () => {
    expect(firstMessage(image, { prompt: 'x', model_variant: 'sdxl' })).toBe("Parameter 'model_variant' must be one of ['flux-dev', 'flux-schnell']");
    expect(firstMessage(image, { prompt: 'x', seed: -1 })).toBe("Parameter 'seed' below minimum (0)");
    expect(firstMessage(image, { prompt: 'x', seed: 1.5 })).toBe("Parameter 'seed' must be an integer");
    expect(firstMessage(image, { prompt: 'x', seed: 2 ** 53 })).toBe("Parameter 'seed' above maximum (9007199254740991)");
    expect((image.parse({ prompt: 'x', seed: 42 }) as { seed: number }).seed).toBe(42);
  });
});

describe('text fields', () => {
  it('refuse control characters and lone surrogates, keep newlines', async () => {
    const { textField } = await import('./param-fields.js');
    const f = textField('caption', { max: 100 });
    expect(f.safeParse('two\nlines\tok').success).toBe(true);
    expect(f.safeParse('nul\u0000byte').error?.issues[0]?.message).toBe("Parameter 'caption' must not contain control characters");
    expect(f.safeParse('bad \ud800 half').error?.issues[0]?.message).toBe("Parameter 'caption' must not contain control characters");
    expect(f.safeParse('emoji 😀 fine').success).toBe(true);
  });

  it('a config key named like an Object.prototype member is just unknown', () => {
    const out = capabilitiesToZod(aiToolkitTraining).parse(JSON.parse('{"toString":1,"__proto__":2,"valueOf":3,"steps":200}')) as Record<string, unknown>;
    expect(out.steps).toBe(200);
    expect(Object.hasOwn(out, 'toString')).toBe(false);
  });
});
