/** Training presets (docs/contracts.md). Plain data; applying them is `applyPreset` in preset-apply.ts. */
export const PRESETS = {
  quick: {
    label: 'Quick',
    description: 'Fast look at a likeness',
    config: { steps: 500, learning_rate: 2e-4, lora_rank: 8, resolution: 768, scheduler: 'constant' },
  },
  balanced: {
    label: 'Balanced',
    description: 'Good default for most characters',
    config: { steps: 1000, learning_rate: 1e-4, lora_rank: 16, resolution: 1024, scheduler: 'cosine' },
  },
  quality: {
    label: 'Quality',
    description: 'Slow, highest fidelity',
    config: {
      steps: 2000,
      learning_rate: 5e-5,
      lora_rank: 32,
      resolution: 1024,
      optimizer: 'prodigy',
      scheduler: 'cosine_with_restarts',
      network_alpha: 32,
      gradient_accumulation: 2,
    },
  },
} as const;

export type PresetKey = keyof typeof PRESETS;
export const PRESET_KEYS = Object.keys(PRESETS) as PresetKey[];
