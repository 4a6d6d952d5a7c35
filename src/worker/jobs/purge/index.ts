/**
 * Purge: deletes a person and everything made from their photos (see character-purge.ts). The
 * API already asked their running jobs to stop; whatever still runs is flagged again here (the
 * running worker polls its record for it) and waited for, then the files go and the logs and
 * records (live and archived) are scrubbed, and Redis is asked to rewrite its append-only file,
 * which still holds the old command text. Only ids and counts reach this job's own log.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { checkpointLinkPrefix } from '../../../shared/node/evaluation-plan.js';
import { countsOf, executePurge } from '../../../shared/node/character-purge.js';
import { withJobHistoryLock } from '../../../shared/node/job-retention.js';
import { rewriteAofIfEnabled } from '../../../shared/node/redis-aof.js';
import { formatBytes } from '../../../shared/purge-preview.js';
import type { JobHandler, JobHandlerDeps } from '../types.js';

export function createPurgeHandler({ paths, store, characters, loras, comfyuiDir, redis }: JobHandlerDeps): JobHandler<'purge'> {
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
      ...(redis ? { withHistoryLock: <T>(fn: () => Promise<T>) => withJobHistoryLock(redis, fn) } : {}),
      // ComfyUI's own link to each LoRA and evaluated checkpoint (lora-link.ts) lives outside the volume.
      extraPaths: (ids, trainingIds) => (comfyuiDir ? comfyuiLinks(path.join(comfyuiDir, 'models', 'loras', 'isengard'), ids, trainingIds) : []),
    });
    if (redis) {
      try {
        const aof = await rewriteAofIfEnabled(redis);
        if (aof !== 'aof-off') ctx.logger.info('Asked Redis to rewrite its append-only file', 'purge.aof_rewrite', { result: aof });
      } catch (err) {
        // A Redis that refuses CONFIG (managed, renamed commands) is not a reason to fail the purge.
        ctx.logger.warning(`Could not check or rewrite Redis' append-only file: ${(err as Error).message}`, 'purge.aof_rewrite_skipped');
      }
    }
    ctx.progress({ progress: 1 });
    const message = `Purged ${preview.photos.count} photos, ${preview.loras.count} LoRAs, ${preview.checkpoints.count} checkpoints, ${preview.generated_images.count} generated images (${formatBytes(preview.total_bytes)})`;
    ctx.logger.info(message, 'purge.done', countsOf(preview));
    return { message };
  };
}

/** `{lora_id}.safetensors` per LoRA, and every `ckpt-{training_id}-{step}.safetensors` an evaluation linked. */
function comfyuiLinks(dir: string, loraIds: string[], trainingIds: string[]): string[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // No folder: nothing was ever linked.
  }
  const prefixes = trainingIds.map(checkpointLinkPrefix);
  const checkpoints = names.filter((n) => n.endsWith('.safetensors') && prefixes.some((p) => n.startsWith(p)));
  return [...loraIds.map((id) => `${id}.safetensors`), ...checkpoints].map((n) => path.join(dir, n));
}
