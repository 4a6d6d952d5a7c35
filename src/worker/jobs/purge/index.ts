/**
 * Purge: deletes a person and everything made from their photos (see character-purge.ts). The
 * API already asked their running jobs to stop; whatever still runs is flagged again here (the
 * running worker polls its record for it) and waited for, then the files go and the logs and
 * records are scrubbed. Only ids and counts reach this job's own log.
 */
import path from 'node:path';
import { countsOf, executePurge } from '../../../shared/node/character-purge.js';
import { formatBytes } from '../../../shared/purge-preview.js';
import type { JobHandler, JobHandlerDeps } from '../types.js';

export function createPurgeHandler({ paths, store, characters, loras, comfyuiDir }: JobHandlerDeps): JobHandler<'purge'> {
  return async (job, ctx) => {
    const by = `purge:${job.id}`;
    const at = () => new Date().toISOString();
    ctx.progress({ progress: 0.1, message: 'Stopping jobs for this person' });
    const preview = await executePurge({ paths, store, characters, loras }, job.character_id, {
      cancel: async (target) => {
        await store.update(target.id, (r) =>
          r.status === 'queued'
            ? { ...r, status: 'cancelled', cancel_requested_at: at(), cancelled_by: by, finished_at: at(), message: 'Cancelled: the person is being purged' }
            : { ...r, cancel_requested_at: r.cancel_requested_at ?? at(), cancelled_by: r.cancelled_by ?? by },
        );
      },
      note: (message, event, fields) => ctx.logger.info(message, event, fields),
      signal: ctx.signal,
      // ComfyUI's own link to each LoRA (lora-link.ts) lives outside the volume.
      extraPaths: (ids) => (comfyuiDir ? ids.map((id) => path.join(comfyuiDir, 'models', 'loras', 'isengard', `${id}.safetensors`)) : []),
    });
    ctx.progress({ progress: 1 });
    const message = `Purged ${preview.photos.count} photos, ${preview.loras.count} LoRAs, ${preview.checkpoints.count} checkpoints, ${preview.generated_images.count} generated images (${formatBytes(preview.total_bytes)})`;
    ctx.logger.info(message, 'purge.done', countsOf(preview));
    return { message };
  };
}
