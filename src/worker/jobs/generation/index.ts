/** Generation: resolves the requested LoRA, then lets the image backend render `count` images. */
import type { JobHandler, JobHandlerDeps } from '../types.js';
import { finalIfNotFound } from '../not-found.js';

export function createGenerationHandler({ loras, image }: JobHandlerDeps): JobHandler<'generation'> {
  return async (job, ctx) => {
    let lora: { id: string; path: string; trigger_word: string } | undefined;
    if (job.lora_id) {
      const meta = await loras.require(job.lora_id).catch(finalIfNotFound);
      lora = { id: meta.id, path: loras.filePath(meta.id), trigger_word: meta.trigger_word };
    }
    await image.generate({ config: job.config, count: job.count, lora }, ctx);
  };
}
