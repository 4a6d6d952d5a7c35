/**
 * Caption: the caption backend describes a character's images and each caption is written to the
 * character as soon as it arrives, so a cancel keeps what is done (docs/contracts.md, Captions).
 *
 * Which images: `missing` takes those isCaptionMissing() picks (never a caption a person typed),
 * `all` takes every image. Between the job's start and an image's result a person may edit that
 * caption (or delete the image): each write re-reads the character under its lock
 * (CharacterStore.mutate, a Redis lock shared with the API) and writes only when the caption and its
 * source are still the ones the job started from. A person's newer edit always wins.
 */
import path from 'node:path';
import { prefixTriggerWord, selectForCaptioning } from '../../../shared/captions.js';
import { CAPTION_MAX, type CharacterImage } from '../../../shared/characters.js';
import { JobCancelledError, NonRetryableError, type CaptionModel, type CaptionSink } from '../../backends/types.js';
import { finalIfNotFound } from '../not-found.js';
import type { JobHandler, JobHandlerDeps } from '../types.js';

const CONTROL = /(?![\n\t])\p{Cc}/gu;

/** A model's text as a caption: no control characters, one trimmed string within CAPTION_MAX. */
export function cleanCaption(text: string): string {
  return text.replace(CONTROL, ' ').replace(/[ \t]+/g, ' ').trim().slice(0, CAPTION_MAX);
}

const stateOf = (image: CharacterImage) => JSON.stringify([image.caption, image.caption_source ?? null]);

export function createCaptionHandler({ characters, caption: backend }: JobHandlerDeps): JobHandler<'caption'> {
  return async (job, ctx) => {
    const id = job.character_id;
    const { mode, style, trigger } = job.config;
    const character = await characters.require(id).catch(finalIfNotFound);
    const chosen = selectForCaptioning(character.images, mode, character.trigger_word);
    const startState = new Map(chosen.map((image) => [image.name, stateOf(image)]));
    const total = chosen.length;
    ctx.logger.info(`Captioning ${total} of ${character.images.length} images with ${backend.name} (${mode}, ${style})`, 'caption.start', {
      backend: backend.name,
      model: backend.capabilities.model,
      mode,
      style,
      trigger,
      images: total,
    });
    if (total === 0) {
      const message = mode === 'missing' ? 'No image needs a caption' : 'The character has no images';
      ctx.logger.info(message, 'caption.done', { written: 0 });
      return { message };
    }

    let done = 0;
    const tally = { written: 0, failed: 0, kept: 0 };
    const step = () => {
      done++;
      ctx.progress({ progress: done / total, current_step: done, total_steps: total, message: `${done}/${total} images` });
    };
    ctx.progress({ progress: 0, current_step: 0, total_steps: total, message: `0/${total} images` });

    /** Writes one caption unless the image changed or went since the job started; says which. */
    const write = async (name: string, text: string, source: CaptionModel): Promise<'written' | 'edited' | 'gone'> => {
      let outcome: 'written' | 'edited' | 'gone' = 'gone';
      await characters
        .mutate(id, async (current) => {
          const image = current.images.find((i) => i.name === name);
          if (!image) return current;
          if (stateOf(image) !== startState.get(name)) {
            outcome = 'edited';
            return current;
          }
          await characters.writeCaption(id, name, text);
          outcome = 'written';
          const caption_source = { kind: 'model' as const, model: source.model, version: source.version };
          return {
            ...current,
            images: current.images.map((i) => (i.name === name ? { ...i, caption: text, caption_source } : i)),
            updated_at: new Date().toISOString(),
          };
        })
        .catch(finalIfNotFound);
      return outcome;
    };

    const sink: CaptionSink = {
      async caption(name, raw, source) {
        const cleaned = cleanCaption(raw);
        const text = cleanCaption(trigger === 'prefix' ? prefixTriggerWord(cleaned, character.trigger_word) : cleaned);
        const outcome = text === '' ? 'empty' : await write(name, text, source);
        // The text stays out of the log: it describes a person, and only character files hold it.
        if (outcome === 'written') {
          tally.written++;
          ctx.logger.info(`Captioned ${name}`, 'caption.image', { image: name, chars: text.length, model: source.model, version: source.version });
        } else if (outcome === 'empty') {
          tally.failed++;
          ctx.logger.warning(`${name}: the model returned an empty caption`, 'caption.image_failed', { image: name });
        } else {
          tally.kept++;
          const why = outcome === 'edited' ? 'its caption was edited while the job ran; the edit is kept' : 'the image was deleted while the job ran';
          ctx.logger.info(`Skipped ${name}: ${why}`, 'caption.image_skipped', { image: name, reason: outcome });
        }
        step();
      },
      async failed(name, reason) {
        tally.failed++;
        ctx.logger.warning(`${name} could not be captioned: ${reason}`, 'caption.image_failed', { image: name, reason });
        step();
      },
    };

    const imagesDir = characters.imagesDir(id);
    await backend.caption({ images: chosen.map((image) => ({ name: image.name, path: path.join(imagesDir, image.name) })), style }, sink, ctx);
    if (ctx.signal.aborted) throw new JobCancelledError();

    const parts = [`Captioned ${tally.written} of ${total} images`];
    if (tally.kept > 0) parts.push(`${tally.kept} skipped (edited or deleted meanwhile)`);
    if (tally.failed > 0) parts.push(`${tally.failed} failed (see the job log)`);
    const message = parts.join('; ');
    ctx.logger.info(message, 'caption.done', tally);
    if (tally.failed === total) throw new NonRetryableError(`No image could be captioned (${total} failed; the job log has each reason)`);
    return { message };
  };
}
