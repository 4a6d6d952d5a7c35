import { describe, expect, it } from 'vitest';
import { captionSourceOf, hasTriggerWord, isCaptionMissing, prefixTriggerWord, selectForCaptioning } from './captions.js';

const model = { kind: 'model' as const, model: 'm', version: '1' };

describe('which captions a missing-mode job writes', () => {
  it('empty captions and the upload placeholder are missing; typed and machine captions are not', () => {
    expect(isCaptionMissing({ caption: '' }, 'zed')).toBe(true);
    expect(isCaptionMissing({ caption: '  \n' }, 'zed')).toBe(true);
    expect(isCaptionMissing({ caption: '', caption_source: { kind: 'user' } }, 'zed')).toBe(true);
    expect(isCaptionMissing({ caption: 'zed' }, 'zed')).toBe(true);
    expect(isCaptionMissing({ caption: ' zed ' }, 'zed')).toBe(true);
    // The same text typed by a person (source recorded) is theirs.
    expect(isCaptionMissing({ caption: 'zed', caption_source: { kind: 'user' } }, 'zed')).toBe(false);
    expect(isCaptionMissing({ caption: 'zed smiling' }, 'zed')).toBe(false);
    expect(isCaptionMissing({ caption: 'zed, a photo', caption_source: model }, 'zed')).toBe(false);
    expect(isCaptionMissing({ caption: 'zed, a photo', caption_source: { ...model, accepted: true } }, 'zed')).toBe(false);
  });

  it('all selects every image, missing only the missing ones, in order', () => {
    const images = [{ caption: 'zed' }, { caption: 'typed' }, { caption: '' }];
    expect(selectForCaptioning(images, 'all', 'zed')).toEqual(images);
    expect(selectForCaptioning(images, 'missing', 'zed')).toEqual([images[0], images[2]]);
  });

  it('a caption without a recorded source is a person’s when it has text', () => {
    expect(captionSourceOf({ caption: 'typed' })).toEqual({ kind: 'user' });
    expect(captionSourceOf({ caption: '' })).toBeNull();
    expect(captionSourceOf({ caption: 'x', caption_source: model })).toEqual(model);
  });
});

describe('trigger word prefix', () => {
  it('puts the word first, lowering a leading article only', () => {
    expect(prefixTriggerWord('A woman sitting on a bench.', 'zed_p')).toBe('zed_p, a woman sitting on a bench.');
    expect(prefixTriggerWord('The man in a hat', 'zed_p')).toBe('zed_p, the man in a hat');
    expect(prefixTriggerWord('Paris at night', 'zed_p')).toBe('zed_p, Paris at night');
    expect(prefixTriggerWord('UFO over a field', 'zed_p')).toBe('zed_p, UFO over a field');
    expect(prefixTriggerWord('  ', 'zed_p')).toBe('zed_p');
  });

  it('leaves a caption that already holds the word as a word', () => {
    expect(prefixTriggerWord('photo of zed_p smiling', 'zed_p')).toBe('photo of zed_p smiling');
    expect(prefixTriggerWord('zed_people dancing', 'zed_p')).toBe('zed_p, zed_people dancing');
    expect(hasTriggerWord('zed_p.', 'zed_p')).toBe(true);
    expect(hasTriggerWord('xzed_p', 'zed_p')).toBe(false);
  });

  it('spells another spelling of the word as the trigger word instead of adding it again', () => {
    expect(prefixTriggerWord('photo of ZED_P smiling', 'zed_p')).toBe('photo of zed_p smiling');
    expect(prefixTriggerWord(' Zed_P at the beach ', 'zed_p')).toBe('zed_p at the beach');
  });

  it('counts a letter of any script as part of the word', () => {
    expect(prefixTriggerWord('zed_pé dancing', 'zed_p')).toBe('zed_p, zed_pé dancing');
    expect(prefixTriggerWord('Ézed_p dancing', 'zed_p')).toBe('zed_p, Ézed_p dancing');
    expect(prefixTriggerWord('café, zed_p, smiling', 'zed_p')).toBe('café, zed_p, smiling');
  });
});
