import { describe, expect, it } from 'vitest';
import { applyPreset } from './preset-apply.js';
import { aiToolkitTraining } from './manifests.js';
import type { ParameterMap } from './capabilities.js';

describe('applyPreset', () => {
  it('quality skips what ai-toolkit would not use: unwired params, an unavailable scheduler, learning_rate beside prodigy', () => {
    const r = applyPreset('quality', aiToolkitTraining.parameters);
    expect(r.skipped.sort()).toEqual(['gradient_accumulation', 'learning_rate', 'network_alpha', 'scheduler']);
    expect(r.note).toBe('4 preset params not supported by current trainer');
    expect(r.applied).toEqual({ steps: 2000, lora_rank: 32, resolution: 1024, optimizer: 'prodigy' });
  });

  it('judges conditions on the resulting config: a pinned optimizer brings learning_rate back', () => {
    const r = applyPreset('quality', aiToolkitTraining.parameters, { pinned: { optimizer: 'adamw' } });
    expect(r.applied).toMatchObject({ learning_rate: 5e-5 });
    expect(r.skipped).not.toContain('learning_rate');
    // A form already on prodigy: quick's learning_rate would not be used, so it is not applied.
    const onProdigy = applyPreset('quick', aiToolkitTraining.parameters, { current: { optimizer: 'prodigy' } });
    expect(onProdigy.skipped).toEqual(['learning_rate']);
    expect(onProdigy.note).toBe('1 preset params not supported by current trainer');
  });

  it('balanced applies fully with no note', () => {
    const r = applyPreset('balanced', aiToolkitTraining.parameters);
    expect(r.note).toBeNull();
    expect(r.applied).toEqual({ steps: 1000, learning_rate: 1e-4, lora_rank: 16, resolution: 1024, scheduler: 'cosine' });
  });

  it('follows the manifest it is given', () => {
    const params: ParameterMap = { steps: { type: 'int', default: 1, wired: false, reason: 'no' } };
    const r = applyPreset('quick', params);
    expect(r.skipped.sort()).toEqual(['learning_rate', 'lora_rank', 'resolution', 'scheduler', 'steps']);
    expect(r.note).toBe('5 preset params not supported by current trainer');
  });
});
