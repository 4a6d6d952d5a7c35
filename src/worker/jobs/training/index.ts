/**
 * Training: runs the configured trainer on the dataset snapshot taken when the job was created
 * (from a checkpoint for training.resume, from a LoRA's weights for training.continue), then
 * registers the final LoRA and links it into the job's outputs.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { JobHandler, JobHandlerDeps } from '../types.js';
import { finalIfNotFound } from '../not-found.js';
import { resumeCheckpointPath } from '../../../shared/node/volume.js';
import { copyLossHistory } from './loss-history.js';

export function createTrainingHandler({ characters, loras, paths, training, store }: JobHandlerDeps): JobHandler<'training'> {
  return async (job, ctx) => {
    const character = await characters.require(job.character_id).catch(finalIfNotFound);
    const workDir = paths.trainingDir(job.id);
    // A resumed run's loss chart continues the original's (its log is where readers find it).
    if (job.resumed_from && job.resume_step !== undefined) await copyLossHistory(paths, job.resumed_from, job.resume_step, ctx);
    const result = await training.train(
      {
        config: job.config,
        character: { id: character.id, name: character.name, trigger_word: character.trigger_word },
        datasetDir: path.join(workDir, 'dataset'),
        workDir,
        samplePrompts: job.sample_prompts,
        ...(job.resume_step !== undefined ? { resumeFrom: { path: resumeCheckpointPath(workDir), step: job.resume_step } } : {}),
        ...(job.base_lora_id ? { initialWeights: loras.filePath(job.base_lora_id) } : {}),
        // "Evaluate during training": each checkpoint is a row of its grid, which on one GPU is
        // only rendered after the training. A removal cannot be undone; a failed look holds.
        holdCheckpoints: () => store.active('evaluation').then((live) => live.some((e) => e.training_id === job.id), () => true),
      },
      ctx,
    );
    const lora = await loras.register(
      {
        id: `lora-${randomBytes(6).toString('hex')}`,
        character_id: character.id,
        character_name: character.name,
        job_id: job.id,
        trigger_word: character.trigger_word,
        steps: result.steps,
        lora_rank: job.config.lora_rank,
        created_at: new Date().toISOString(),
        ...(job.base_lora_id ? { parent_lora_id: job.base_lora_id } : {}),
      },
      result.loraPath,
    );
    // The LoRA is also a download of this job: a hard link (same volume) or else a copy.
    const name = `${lora.id}.safetensors`;
    await fs.mkdir(ctx.outputsDir, { recursive: true });
    await fs.link(loras.filePath(lora.id), path.join(ctx.outputsDir, name)).catch(() =>
      fs.copyFile(loras.filePath(lora.id), path.join(ctx.outputsDir, name)),
    );
    await ctx.addOutput({ name, kind: 'lora', step: result.steps });
    ctx.logger.info(`LoRA ${lora.id} registered`, 'lora.registered', { lora_id: lora.id, size: lora.size });
    return { result_lora_id: lora.id };
  };
}
