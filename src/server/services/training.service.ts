/**
 * training.start / resume / continue. Each one snapshots a dataset into the new job's training
 * folder before the job is queued, so later caption or image edits don't change it.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AppError } from '../../shared/errors.js';
import type { Character } from '../../shared/characters.js';
import { isTerminal, type JobRecord } from '../../shared/jobs.js';
import { defaultSamplePrompts, withTriggerWord } from '../../shared/sample-prompts.js';
import { linkDirFiles, type CharacterStore } from '../../shared/node/character-store.js';
import { linkOrCopyInside } from '../../shared/node/safe-path.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import { newestCheckpoint, releaseSnapshotIfDone, whyNotResumable } from '../../shared/node/training-files.js';
import { resumeCheckpointPath, type VolumePaths } from '../../shared/node/volume.js';
import { JobsService } from './jobs.service.js';
import type { EvaluationsService } from './evaluations.service.js';

export interface TrainingStartInput {
  character_id: string;
  config: Record<string, unknown>;
  sample_prompts?: string[];
  /** Queue a live evaluation grid behind the training (issue #17). */
  evaluate_during_training?: boolean;
}

export class TrainingService {
  constructor(
    private readonly deps: {
      jobs: JobsService;
      characters: CharacterStore;
      paths: VolumePaths;
      store: JobStore;
      loras: LoraStore;
      evaluations?: Pick<EvaluationsService, 'start'>;
    },
  ) {}

  async start(input: TrainingStartInput): Promise<JobRecord> {
    const character = await this.trainable(input.character_id);
    const id = JobsService.newId('training');
    await this.snapshot(character, id);
    const job = await this.deps.jobs.create({
      id,
      type: 'training',
      config: input.config,
      character_id: character.id,
      sample_prompts: samplePromptsFor(input.sample_prompts, character.trigger_word),
    });
    // Queued right behind the training: a one-worker pod runs it after the training, a second
    // worker takes it at once and renders each checkpoint as it appears (docs/contracts.md).
    if (input.evaluate_during_training && this.deps.evaluations) await this.deps.evaluations.start({ training_id: job.id });
    return job;
  }

  /**
   * A new job that trains on from the newest checkpoint of a failed or cancelled one, with the
   * same dataset snapshot and config. The original is claimed (`resumed_by`) before the job is
   * queued, so two resumes of one job cannot both start.
   */
  async resume(id: string): Promise<JobRecord> {
    const { store, paths } = this.deps;
    const original = await this.deps.jobs.get(id, 'training');
    const why = whyNotResumable(paths, original);
    if (why) throw new AppError('CONFLICT', why);
    const checkpoint = newestCheckpoint(paths, original)!;
    const newId = JobsService.newId('training');
    const workDir = paths.trainingDir(newId);
    const dropNew = () => fs.rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    // Linked before the claim: once `resumed_by` is set, the snapshot janitor may take the original's.
    try {
      const dataset = path.join(paths.trainingDir(id), 'dataset');
      if (existsSync(dataset)) await linkDirFiles(paths.root, dataset, path.join(workDir, 'dataset'));
      else await this.snapshot(await this.trainable(original.character_id ?? ''), newId);
      await linkOrCopyInside(paths.root, checkpoint.file, resumeCheckpointPath(workDir));
    } catch (err) {
      await dropNew();
      throw err;
    }
    const claimed = await store.amend(id, (r) => (r.resumed_by ? null : { ...r, resumed_by: newId }));
    if (claimed?.resumed_by !== newId) {
      await dropNew();
      throw new AppError('CONFLICT', `Job '${id}' was already resumed by ${claimed?.resumed_by ?? 'another request'}`);
    }
    try {
      const job = await this.deps.jobs.create({
        id: newId,
        type: 'training',
        config: original.config,
        ...(original.character_id ? { character_id: original.character_id } : {}),
        ...(original.sample_prompts ? { sample_prompts: original.sample_prompts } : {}),
        resumed_from: id,
        resume_step: checkpoint.step,
      });
      // Nothing can resume from the original any more: its snapshot has served its purpose.
      await releaseSnapshotIfDone(paths, await store.get(id));
      return job;
    } catch (err) {
      await store.amend(id, (r) => (r.resumed_by === newId ? { ...r, resumed_by: undefined } : null)).catch(() => undefined);
      await dropNew();
      throw err;
    }
  }

  /**
   * A new job that starts from a completed training's LoRA and trains exactly `steps` more on the
   * character's current dataset; its LoRA links back to the first one (`parent_lora_id`).
   */
  async continue(input: { id: string; steps: number }): Promise<JobRecord> {
    const { store, loras } = this.deps;
    const original = await this.deps.jobs.get(input.id, 'training');
    if (original.status !== 'completed') {
      throw new AppError('CONFLICT', `Job '${input.id}' is ${original.status}; only a completed training can be continued${original.status === 'failed' || original.status === 'cancelled' ? ' (use Resume)' : ''}`);
    }
    if (original.continued_by) throw new AppError('CONFLICT', `Job '${input.id}' was already continued by ${original.continued_by}`);
    const loraId = original.result_lora_id;
    if (!loraId || !(await loras.get(loraId)) || !existsSync(loras.filePath(loraId))) {
      throw new AppError('CONFLICT', `Job '${input.id}' has no LoRA any more (deleted); nothing to continue from`);
    }
    const character = await this.trainable(original.character_id ?? '');
    const newId = JobsService.newId('training');
    const claimed = await store.amend(input.id, (r) => (r.continued_by ? null : { ...r, continued_by: newId }));
    if (claimed?.continued_by !== newId) throw new AppError('CONFLICT', `Job '${input.id}' was already continued by ${claimed?.continued_by ?? 'another request'}`);
    try {
      await this.snapshot(character, newId);
      return await this.deps.jobs.create({
        id: newId,
        type: 'training',
        config: { ...original.config, steps: input.steps },
        character_id: character.id,
        ...(original.sample_prompts ? { sample_prompts: original.sample_prompts } : {}),
        continued_from: input.id,
        base_lora_id: loraId,
      });
    } catch (err) {
      await store.amend(input.id, (r) => (r.continued_by === newId ? { ...r, continued_by: undefined } : null)).catch(() => undefined);
      await fs.rm(this.deps.paths.trainingDir(newId), { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Deletes one checkpoint file of a finished training and drops it from the record. A LoRA made
   * from it keeps its own link to the data. Deleting the last one a resume could start from lets
   * the dataset snapshot go too.
   */
  async deleteCheckpoint(input: { job_id: string; step: number }): Promise<JobRecord> {
    const { store, paths } = this.deps;
    const job = await this.deps.jobs.get(input.job_id, 'training');
    if (!isTerminal(job.status)) throw new AppError('CONFLICT', `Job '${job.id}' is still ${job.status}; delete checkpoints once it has finished`);
    const target = job.outputs.find((o) => o.kind === 'checkpoint' && o.step === input.step);
    if (!target) throw AppError.notFound(`Job '${job.id}' has no checkpoint at step ${input.step}`);
    const updated = await store.amend(job.id, (r) => ({ ...r, outputs: r.outputs.filter((o) => o.name !== target.name) }));
    await fs.rm(paths.outputFile(job.id, target.name), { force: true });
    const log = this.deps.jobs.jobLogger(job.id);
    log.info(`Checkpoint at step ${input.step} deleted`, 'checkpoint.deleted', { step: input.step, name: target.name });
    if (await releaseSnapshotIfDone(paths, updated)) log.info('Dataset snapshot deleted: nothing can resume from this job', 'snapshot.deleted');
    log.close();
    return updated ?? job;
  }

  private async trainable(characterId: string): Promise<Character> {
    const character = await this.deps.characters.require(characterId);
    if (character.images.length === 0) {
      throw AppError.badParam('character_id', `Character '${character.id}' has no images; upload at least one before training`);
    }
    return character;
  }

  private async snapshot(character: Character, jobId: string): Promise<void> {
    try {
      await this.deps.characters.snapshotDataset(character, path.join(this.deps.paths.trainingDir(jobId), 'dataset'));
    } catch (err) {
      await fs.rm(this.deps.paths.trainingDir(jobId), { recursive: true, force: true }); // no half snapshot left behind
      throw err;
    }
  }
}

/** Absent → two generic prompts; each given prompt gets the trigger word when it lacks it. */
export function samplePromptsFor(prompts: string[] | undefined, trigger: string): string[] {
  return prompts === undefined ? defaultSamplePrompts(trigger) : prompts.map((p) => withTriggerWord(p, trigger));
}
