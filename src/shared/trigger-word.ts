/**
 * The trigger word inside free text: captions (the caption job and the bulk caption tools) and
 * sample or evaluation prompts. One rule for the API, the worker and the SPA: the word on its own,
 * not touching a letter, digit or `_` of any script, in any case. Trigger words themselves are
 * `^[a-z][a-z0-9_]{1,31}$` (docs/contracts.md), so `ohwx_anna2` and `ohwx_annaé` hold no
 * `ohwx_anna`, and `OHWX_Anna` is another spelling of it.
 */
import { escapeRegExp } from './regexp.js';

/** Letters, digits (any script) and `_`: what a word of its own may not touch. */
export const WORD_CHAR = '[\\p{L}\\p{N}_]';

/** Every occurrence of `trigger` as a word of its own, in any case; with `possessive`, with a following `'s`. */
export function triggerWordPattern(trigger: string, possessive = false): RegExp {
  return new RegExp(`(?<!${WORD_CHAR})${escapeRegExp(trigger)}${possessive ? "(?:['’]s)?" : ''}(?!${WORD_CHAR})`, 'giu');
}

/** True when `text` holds `trigger` as a word of its own, in any case. */
export function hasTriggerWord(text: string, trigger: string): boolean {
  return triggerWordPattern(trigger).test(text);
}

/** `text` with every other spelling of the trigger word (`OHWX_Anna`) written as the trigger word. */
export function spellTriggerWord(text: string, trigger: string): string {
  return text.replace(triggerWordPattern(trigger), trigger);
}
