/** One trigger-word rule for the caption job, the bulk caption tools and sample/evaluation prompts. */
import { describe, expect, it } from 'vitest';
import { addTrigger, removeTrigger } from './caption-edit.js';
import { prefixTriggerWord } from './captions.js';
import { withTriggerWord } from './sample-prompts.js';
import { hasTriggerWord } from './trigger-word.js';

const T = 'ohwx_anna';

describe('trigger word in free text', () => {
  const texts: [string, boolean][] = [
    ['ohwx_anna, a woman', true],
    ['photo of OHWX_Anna smiling', true],
    ['ohwx_anna.', true],
    ['(ohwx_anna)', true],
    ["ohwx_anna's smile", true],
    ['ohwx_anna2 smiling', false],
    ['xohwx_anna smiling', false],
    ['ohwx_annaé smiling', false],
    ['éohwx_anna smiling', false],
    ['ohwx_anna٣ smiling', false],
    ['ohwx_annа smiling', false], // Cyrillic а: another word
    ['a woman smiling', false],
  ];

  it.each(texts)('%j holds the word: %s', (text, holds) => {
    expect(hasTriggerWord(text, T)).toBe(holds);
  });

  it.each(texts)('the caption job, the bulk tools and the prompts agree on %j', (text, holds) => {
    const prefixed = `${T}, `;
    // The caption job and "Add trigger word" prefix exactly the texts without it...
    expect(prefixTriggerWord(text, T).startsWith(prefixed) && !text.toLowerCase().startsWith(prefixed)).toBe(!holds);
    expect(addTrigger(text, T).startsWith(prefixed) && !text.toLowerCase().startsWith(prefixed)).toBe(!holds);
    // ...sample and evaluation prompts get it in front exactly then...
    expect(withTriggerWord(text, T) !== text).toBe(!holds);
    // ...and "Remove trigger word" changes exactly the texts with it.
    expect(removeTrigger(text, T) !== text).toBe(holds);
  });

  it('treats the trigger word literally, not as a pattern', () => {
    expect(hasTriggerWord('zxq.p', 'zxq_p')).toBe(false);
    expect(hasTriggerWord('a.b smiling', 'a.b')).toBe(true);
    expect(hasTriggerWord('axb smiling', 'a.b')).toBe(false);
  });
});
