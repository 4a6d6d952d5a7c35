import { describe, expect, it } from 'vitest';
import { addTrigger, countReplacements, isUnreviewed, removeTrigger, replaceInCaption, tidyCaption } from './caption-edit.js';
import { captionSourceOf } from './captions.js';

const model = { kind: 'model' as const, model: 'microsoft/Florence-2-large', version: 'abc123' };

describe('caption sources', () => {
  it('treats a sourceless non-empty caption as the user’s and an empty one as none', () => {
    expect(captionSourceOf({ caption: 'a woman' })).toEqual({ kind: 'user' });
    expect(captionSourceOf({ caption: '  ' })).toBeNull();
    expect(captionSourceOf({ caption: 'x', caption_source: model })).toBe(model);
    expect(isUnreviewed({ caption: 'x', caption_source: model })).toBe(true);
    expect(isUnreviewed({ caption: 'x', caption_source: { ...model, accepted: true } })).toBe(false);
    expect(isUnreviewed({ caption: 'x' })).toBe(false);
  });
});

describe('find & replace', () => {
  it('is literal text, never a regular expression, and case-insensitive unless asked', () => {
    expect(replaceInCaption('a (red) dress. a red hat', { find: '(red)', replace: 'blue' })).toBe('a blue dress. a red hat');
    expect(replaceInCaption('price $1.50', { find: '$1.50', replace: '$&$&' })).toBe('price $&$&');
    expect(replaceInCaption('a.b axb', { find: '.', replace: '-' })).toBe('a-b axb');
    expect(replaceInCaption('Smiling, smiling', { find: 'smiling', replace: 'grinning' })).toBe('grinning, grinning');
    expect(replaceInCaption('Smiling, smiling', { find: 'smiling', replace: 'grinning', match_case: true })).toBe('Smiling, grinning');
  });

  it('whole words do not match inside longer words (any script, digits and _ count as letters)', () => {
    const opts = { find: 'cat', replace: 'dog', whole_word: true };
    expect(replaceInCaption('cat, cats, bobcat, cat_2, cat-like, écat', opts)).toBe('dog, cats, bobcat, cat_2, dog-like, écat');
    expect(replaceInCaption('cats', { find: 'cat', replace: 'dog' })).toBe('dogs');
  });

  it('replacing with nothing tidies the separators it leaves; untouched captions keep their exact text', () => {
    expect(replaceInCaption('a woman, smiling, outdoors', { find: 'smiling', replace: '' })).toBe('a woman, outdoors');
    expect(replaceInCaption('smiling, a woman', { find: 'smiling', replace: '' })).toBe('a woman');
    expect(replaceInCaption('a  woman ,  outdoors', { find: 'smiling', replace: '' })).toBe('a  woman ,  outdoors');
    expect(replaceInCaption('', { find: 'x', replace: 'y' })).toBe('');
    expect(tidyCaption(' , a ,, b ;  c ,')).toBe('a, b; c');
  });

  it('counts the captions that would change', () => {
    expect(countReplacements(['red hat', 'Red dress', 'blue', ''], { find: 'red', replace: 'green' })).toBe(2);
    expect(countReplacements(['red hat', 'Red dress'], { find: 'red', replace: 'green', match_case: true })).toBe(1);
    expect(countReplacements(['red hat'], { find: 'red', replace: 'red' })).toBe(0);
  });
});

describe('trigger word', () => {
  const t = 'ohwx_anna';
  it('adds it as a prefix where missing, normalises other spellings, leaves it where present', () => {
    expect(addTrigger('a woman smiling', t)).toBe('ohwx_anna, a woman smiling');
    expect(addTrigger('A woman smiling', t)).toBe('ohwx_anna, a woman smiling');
    expect(addTrigger('', t)).toBe('ohwx_anna');
    expect(addTrigger('  ', t)).toBe('ohwx_anna');
    expect(addTrigger('photo of ohwx_anna smiling', t)).toBe('photo of ohwx_anna smiling');
    expect(addTrigger('photo of OHWX_Anna smiling', t)).toBe('photo of ohwx_anna smiling');
    // Inside another word it does not count.
    expect(addTrigger('ohwx_anna2 smiling', t)).toBe('ohwx_anna, ohwx_anna2 smiling');
    expect(addTrigger('xohwx_anna smiling', t)).toBe('ohwx_anna, xohwx_anna smiling');
  });

  it('removes every whole-word occurrence in any case and tidies the separators', () => {
    expect(removeTrigger('ohwx_anna, a woman smiling', t)).toBe('a woman smiling');
    expect(removeTrigger('a photo of ohwx_anna smiling', t)).toBe('a photo of smiling');
    expect(removeTrigger('a woman, OHWX_ANNA, outdoors, ohwx_anna', t)).toBe('a woman, outdoors');
    expect(removeTrigger("ohwx_anna's smile", t)).toBe('smile');
    expect(removeTrigger('ohwx_anna', t)).toBe('');
    expect(removeTrigger('ohwx_anna2 and xohwx_anna', t)).toBe('ohwx_anna2 and xohwx_anna');
    expect(removeTrigger('', t)).toBe('');
  });
});
