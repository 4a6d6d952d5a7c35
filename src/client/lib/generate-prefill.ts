/**
 * Where Generate's form starts. A character's stored Generate default (`generation_defaults`, set by
 * "Use this" on an evaluation grid) is read from the server on every visit, so it holds for any
 * later visit, not only for the link that "Use this" offers.
 */
import type { Character } from '../../shared/characters.js';

export interface GeneratePrefill {
  loraId?: string;
  strength?: number;
  /** LoRA id → stored default strength, for every character that has one. */
  defaults: Record<string, number>;
}

/** Where Generate opens with a character's stored default. */
export const generateWithDefaultsUrl = (characterId: string) => `/generate?character=${encodeURIComponent(characterId)}`;

/** An explicit `?lora=` (and `&strength=`) wins; else `?character=`'s stored default. */
export function generatePrefill(params: URLSearchParams, characters: readonly Character[]): GeneratePrefill {
  const defaults: Record<string, number> = {};
  for (const c of characters) if (c.generation_defaults) defaults[c.generation_defaults.lora_id] = c.generation_defaults.strength;
  const stored = characters.find((c) => c.id === params.get('character'))?.generation_defaults;
  const strengthParam = params.get('strength');
  const strength = strengthParam !== null && strengthParam.trim() !== '' && Number.isFinite(Number(strengthParam)) ? Number(strengthParam) : undefined;
  const lora = params.get('lora');
  if (lora) return { loraId: lora, strength: strength ?? defaults[lora], defaults };
  return { loraId: stored?.lora_id, strength: stored?.strength, defaults };
}
