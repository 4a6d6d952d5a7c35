/**
 * Bulk caption edits (issue #18), as pure text functions: the server applies them and the SPA uses
 * the same ones to preview how many captions a find & replace would change, so the count shown is
 * the count the server reports.
 */
import type { CharacterImage } from './characters.js';
import { captionSourceOf, prefixTriggerWord } from './captions.js';
import { escapeRegExp } from './regexp.js';
import { hasTriggerWord, spellTriggerWord, triggerWordPattern, WORD_CHAR } from './trigger-word.js';

/** A machine caption nobody has accepted or edited yet. */
export function isUnreviewed(image: Pick<CharacterImage, 'caption' | 'caption_source'>): boolean {
  const source = captionSourceOf(image);
  return source?.kind === 'model' && source.accepted !== true;
}

export interface FindReplace {
  find: string;
  replace: string;
  /** Default false: "Smiling" also finds "smiling". */
  match_case?: boolean;
  /** Default false: only matches not touching a letter, digit or `_` on either side. */
  whole_word?: boolean;
}

function findPattern(opts: FindReplace): RegExp {
  const body = escapeRegExp(opts.find);
  const source = opts.whole_word ? `(?<!${WORD_CHAR})${body}(?!${WORD_CHAR})` : body;
  return new RegExp(source, opts.match_case ? 'gu' : 'giu');
}

/**
 * Separators an edit may leave behind: doubled spaces, a space before a comma, empty list items
 * (", ,") and separators at either end. Applied only to captions an edit changed, so untouched
 * captions keep their exact text.
 */
export function tidyCaption(text: string): string {
  return text
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/[ \t]+([,;])/g, '$1')
    .replace(/([,;])(?:[ \t]*[,;])+/g, '$1')
    .replace(/^[\s,;]+|[\s,;]+$/g, '');
}

/** The caption with every literal occurrence of `find` replaced (never a regular expression). */
export function replaceInCaption(caption: string, opts: FindReplace): string {
  if (opts.find === '') return caption;
  const next = caption.replace(findPattern(opts), () => opts.replace);
  return next === caption ? caption : tidyCaption(next);
}

/** How many of these captions a find & replace would change. */
export function countReplacements(captions: readonly string[], opts: FindReplace): number {
  return captions.filter((c) => replaceInCaption(c, opts) !== c).length;
}

/**
 * Makes sure the caption holds the trigger word exactly: other spellings of it ("OHWX_Anna") become
 * the trigger word, and a caption without it gets it as a prefix ("ohwx_anna, …"). A trigger word
 * inside a longer word ("ohwx_anna2") does not count.
 */
export function addTrigger(caption: string, trigger: string): string {
  if (hasTriggerWord(caption, trigger)) return spellTriggerWord(caption, trigger);
  // The caption job's own prefixing, so "A woman…" reads "ohwx_anna, a woman…" either way.
  return prefixTriggerWord(caption, trigger);
}

/** The caption without the trigger word (any case, whole word, with a possessive "'s"), separators tidied. */
export function removeTrigger(caption: string, trigger: string): string {
  const next = caption.replace(triggerWordPattern(trigger, true), '');
  return next === caption ? caption : tidyCaption(next);
}
