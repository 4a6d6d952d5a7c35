/**
 * Bulk caption tools for one character (issue #18): find & replace, add or remove the trigger word,
 * accept machine captions. Each runs as one CharacterStore.mutate, so it is serialised (in this
 * process and, through the Redis lock, across processes and the caption job's writes) with uploads,
 * single caption edits and other bulk edits. The caption `.txt` files beside the images are
 * rewritten inside that same step; when one cannot be written, the ones already rewritten get their
 * old text back and character.json is left as it was.
 *
 * Sources: a find & replace writes the user's words into a caption, so a changed caption becomes
 * `{kind: 'user'}`; adding or removing the trigger word keeps the source (the rest of the text is
 * still the model's and still needs a review).
 */
import { AppError } from '../../shared/errors.js';
import { CAPTION_MAX, type CaptionSource, type Character, type CharacterImage } from '../../shared/characters.js';
import { addTrigger, removeTrigger, replaceInCaption, type FindReplace } from '../../shared/caption-edit.js';
import { captionSourceOf } from '../../shared/captions.js';
import type { CharacterStore } from '../../shared/node/character-store.js';

export interface CaptionEditResult {
  /** How many captions (or, for accept, sources) changed. */
  changed: number;
  /** Which images changed, in dataset order. */
  images: string[];
  character: Character;
}

type Edit = (image: CharacterImage) => CharacterImage;

const now = () => new Date().toISOString();

export class CaptionsService {
  constructor(private readonly deps: { characters: CharacterStore }) {}

  replace(input: { id: string } & FindReplace): Promise<CaptionEditResult> {
    return this.edit(input.id, 'replace', (image) => {
      const caption = replaceInCaption(image.caption, input);
      return caption === image.caption ? image : { ...image, caption, caption_source: { kind: 'user' } };
    });
  }

  trigger(input: { id: string; action: 'add' | 'remove' }): Promise<CaptionEditResult> {
    return this.editWith(input.id, 'action', (character) => (image) => {
      const caption = input.action === 'add' ? addTrigger(image.caption, character.trigger_word) : removeTrigger(image.caption, character.trigger_word);
      return caption === image.caption ? image : { ...image, caption };
    });
  }

  /** Marks machine captions accepted; images with a user caption or none are left alone. */
  accept(input: { id: string; images: string[] | 'all_machine' }): Promise<CaptionEditResult> {
    return this.editWith(input.id, 'images', (character) => {
      if (input.images !== 'all_machine') {
        const missing = input.images.filter((name) => !character.images.some((i) => i.name === name));
        if (missing.length) throw AppError.notFound(`Image '${missing[0]}' not found in character '${character.id}'`);
      }
      const chosen = input.images === 'all_machine' ? null : new Set(input.images);
      return (image) => {
        const source = captionSourceOf(image);
        if ((chosen && !chosen.has(image.name)) || source?.kind !== 'model' || source.accepted) return image;
        const accepted: CaptionSource = { ...source, accepted: true };
        return { ...image, caption_source: accepted };
      };
    });
  }

  private edit(id: string, param: string, fn: Edit): Promise<CaptionEditResult> {
    return this.editWith(id, param, () => fn);
  }

  /** One locked read-modify-write: the edit sees the character as it is under the lock. */
  private async editWith(id: string, param: string, make: (character: Character) => Edit): Promise<CaptionEditResult> {
    const changedImages: string[] = [];
    const character = await this.deps.characters.mutate(id, async (current) => {
      const fn = make(current);
      const before = new Map(current.images.map((i) => [i.name, i]));
      const images = current.images.map(fn);
      const changed = images.filter((i) => i !== before.get(i.name));
      if (changed.length === 0) return current;
      const tooLong = changed.find((i) => i.caption.length > CAPTION_MAX);
      if (tooLong) {
        throw AppError.badParam(param, `Parameter '${param}': the caption of image '${tooLong.name}' would be longer than ${CAPTION_MAX} characters; nothing was changed`);
      }
      await this.writeCaptionFiles(current.id, changed, before);
      changedImages.push(...changed.map((i) => i.name));
      return { ...current, images, updated_at: now() };
    });
    return { changed: changedImages.length, images: changedImages, character };
  }

  /** Rewrites the changed `.txt` files; on a failure puts back the ones already written, then rethrows. */
  private async writeCaptionFiles(id: string, changed: CharacterImage[], before: Map<string, CharacterImage>): Promise<void> {
    const written: CharacterImage[] = [];
    try {
      for (const image of changed) {
        if (image.caption === before.get(image.name)?.caption) continue; // a source-only change
        await this.deps.characters.writeCaption(id, image.name, image.caption);
        written.push(image);
      }
    } catch (err) {
      await Promise.allSettled(written.map((i) => this.deps.characters.writeCaption(id, i.name, before.get(i.name)?.caption ?? '')));
      throw err;
    }
  }
}
