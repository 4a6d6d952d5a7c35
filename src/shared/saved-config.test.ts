import { describe, expect, it } from 'vitest';
import { aiToolkitTraining } from './manifests.js';
import { applySavedConfig } from './saved-config.js';

describe('applySavedConfig', () => {
  it('keeps wired values that fit and notes the rest like a preset', () => {
    const r = applySavedConfig({ steps: 300, lora_rank: 32, network_alpha: 32, old_knob: 1, resolution: 999 }, aiToolkitTraining.parameters);
    expect(r.applied).toEqual({ steps: 300, lora_rank: 32 });
    expect(r.skipped).toEqual(['network_alpha', 'old_knob', 'resolution']);
    expect(r.note).toBe('3 preset params not supported by current trainer');
  });

  it('an unwired key at its default is not worth a note', () => {
    expect(applySavedConfig({ steps: 300, network_alpha: 16 }, aiToolkitTraining.parameters).note).toBeNull();
  });
});
