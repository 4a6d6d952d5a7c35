import { describe, expect, it } from 'vitest';
import { applyPreset } from './preset-apply.js';
import { aiToolkitTraining } from './manifests.js';
import type { ParameterMap } from './capabilities.js';

describe('applyPreset', () => {
  it('quality skips the two unwired params and says so', () => {
    const r = applyPreset('quality', aiToolkitTraining.parameters);
    expect(r.skipped.sort()).toEqual(['gradient_accumulation', 'network_alpha']);
    expect(r.note).toBe('2 preset params not supported by current trainer');
    expect(r.applied).toEqual({ steps: 2000, learning_rate: 5e-5, lora_rank: 32, resolution: 1024, optimizer: 'prodigy', scheduler: 'cosine_with_restarts' });
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
