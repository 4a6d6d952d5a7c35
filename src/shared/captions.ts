/**
 * Caption rules shared by the API, the worker's caption job and the SPA (issue #18, docs/contracts.md
 * "Captions"): which images a `missing` caption job fills, where a caption came from, and how the
 * trigger word is put in front. Plain functions, no zod or Node, so the SPA can use them too.
 */
import type { CaptionSource, CharacterImage } from './characters.js';
import { hasTriggerWord, spellTriggerWord } from './trigger-word.js';

export { hasTriggerWord } from './trigger-word.js';

export const CAPTION_MODES = ['missing', 'all'] as const;
export type CaptionMode = (typeof CAPTION_MODES)[number];
export const CAPTION_STYLES = ['short', 'detailed'] as const;
export type CaptionStyle = (typeof CAPTION_STYLES)[number];
export const CAPTION_TRIGGERS = ['prefix', 'none'] as const;
export type CaptionTrigger = (typeof CAPTION_TRIGGERS)[number];

/** What a caption job was asked to do; stored as the job record's `config`. */
export interface CaptionJobConfig {
  mode: CaptionMode;
  style: CaptionStyle;
  trigger: CaptionTrigger;
}

/**
 * The source of an image's caption, or null when it has none. Records written before captioning
 * existed carry no source: a non-empty caption there was typed by a person.
 */
export function captionSourceOf(image: Pick<CharacterImage, 'caption' | 'caption_source'>): CaptionSource | null {
  if (image.caption.trim() === '') return null;
  return image.caption_source ?? { kind: 'user' };
}

/**
 * Whether a `missing` caption job writes this image's caption:
 * - an empty caption: yes, whatever its recorded source (there is nothing to lose);
 * - a caption without a recorded source that is exactly the trigger word: yes, it is the placeholder
 *   an upload writes (see character-images.service.ts), not something a person typed;
 * - any other caption, a person's (`user`, or no source) or a machine's (accepted or not): no. A
 *   machine caption is not missing; `mode: 'all'` replaces it.
 */
export function isCaptionMissing(image: Pick<CharacterImage, 'caption' | 'caption_source'>, triggerWord: string): boolean {
  const text = image.caption.trim();
  if (text === '') return true;
  return image.caption_source === undefined && text === triggerWord;
}

export function selectForCaptioning<I extends Pick<CharacterImage, 'caption' | 'caption_source'>>(images: readonly I[], mode: CaptionMode, triggerWord: string): I[] {
  return mode === 'all' ? [...images] : images.filter((i) => isCaptionMissing(i, triggerWord));
}

/**
 * `zxq_person, a woman sitting on a bench`: the trigger word first, so the LoRA ties it to what the
 * rest of the caption does not describe. A caption that already holds the word (trigger-word.ts:
 * a word of its own, any case) keeps its wording, with the word spelled as the trigger word.
 */
export function prefixTriggerWord(caption: string, triggerWord: string): string {
  const text = caption.trim();
  if (hasTriggerWord(text, triggerWord)) return spellTriggerWord(text, triggerWord);
  if (text === '') return triggerWord;
  // "A woman…" → "zxq_person, a woman…"; an acronym or a name ("UFO", "Paris") keeps its capital.
  const lowered = /^(A|An|The|This|That|In|On|Two|Three)\b/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
  return `${triggerWord}, ${lowered}`;
}
