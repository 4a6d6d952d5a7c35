import { describe, expect, it } from 'vitest';
import type { Character } from '../../shared/characters.js';
import { generatePrefill, generateWithDefaultsUrl } from './generate-prefill.js';

const character = (id: string, defaults?: Character['generation_defaults']): Character => ({
  id,
  name: id,
  trigger_word: 'ada_person',
  created_at: '',
  images: [],
  ...(defaults ? { generation_defaults: defaults } : {}),
});
const chars = [character('char-00000000000a', { lora_id: 'lora-00000000000a', strength: 0.8 }), character('char-00000000000b')];
const at = (url: string) => generatePrefill(new URL(url, 'http://x').searchParams, chars);

describe('generatePrefill', () => {
  it("a character's stored default, read from the characters (not the link)", () => {
    expect(at(generateWithDefaultsUrl('char-00000000000a'))).toEqual({ loraId: 'lora-00000000000a', strength: 0.8, defaults: { 'lora-00000000000a': 0.8 } });
    expect(at('/generate?character=char-00000000000b')).toMatchObject({ loraId: undefined, strength: undefined });
    expect(at('/generate')).toMatchObject({ loraId: undefined, strength: undefined });
  });

  it('an explicit lora wins; its strength comes from the link, else from a stored default', () => {
    expect(at('/generate?lora=lora-00000000000c&character=char-00000000000a')).toMatchObject({ loraId: 'lora-00000000000c', strength: undefined });
    expect(at('/generate?lora=lora-00000000000a')).toMatchObject({ loraId: 'lora-00000000000a', strength: 0.8 });
    expect(at('/generate?lora=lora-00000000000a&strength=1.2')).toMatchObject({ strength: 1.2 });
    expect(at('/generate?lora=lora-00000000000a&strength=abc')).toMatchObject({ strength: 0.8 });
  });
});
