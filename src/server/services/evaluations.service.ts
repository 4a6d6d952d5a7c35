/**
 * evaluations.*: checkpoint × strength × prompt grids of a training (issue #17; docs/contracts.md,
 * "Evaluation grids"). `start` fixes the whole grid up front (strengths, prompts with the trigger
 * word, one seed per prompt) and queues an `evaluation` job on the GPU queue; the worker renders
 * it. `use` makes a cell's checkpoint (registered as a LoRA) and strength the character's
 * default for Generate.
 */
import { randomInt } from 'node:crypto';
import { AppError } from '../../shared/errors.js';
import type { Character } from '../../shared/characters.js';
import { DEFAULT_EVALUATION_STRENGTHS, EVALUATION_MAX_PROMPTS, type EvaluationGrid } from '../../shared/evaluations.js';
import { defaultEvaluationPrompts, gridOf } from '../../shared/evaluation-grid.js';
import { isTerminal, type JobRecord, type JobStatus } from '../../shared/jobs.js';
import type { ImageManifest } from '../../shared/manifests.js';
import { withTriggerWord } from '../../shared/sample-prompts.js';
import type { CharacterStore } from '../../shared/node/character-store.js';
import { plannedRows } from '../../shared/node/evaluation-plan.js';
import type { JobStore } from '../../shared/node/job-store.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import type { VolumePaths } from '../../shared/node/volume.js';
import type { JobsService } from './jobs.service.js';
import type { LorasService } from './loras.service.js';

export interface EvaluationStartInput {
  training_id: string;
  checkpoints?: 'all' | number[];
  strengths?: number[];
  prompts?: string[];
  seed?: number;
  width?: number;
  height?: number;
  steps?: number;
}

export interface EvaluationSummary {
  id: string;
  status: JobStatus;
  created_at: string;
}

export class EvaluationsService {
  constructor(
    private readonly deps: {
      jobs: JobsService;
      store: JobStore;
      characters: CharacterStore;
      loras: LoraStore;
      lorasService: LorasService;
      paths: VolumePaths;
      image: Pick<ImageManifest, 'parameters'>;
    },
  ) {}

  async start(input: EvaluationStartInput): Promise<{ id: string }> {
    const training = await this.training(input.training_id);
    const character = await this.deps.characters.get(training.character_id ?? '');
    if (!character) throw new AppError('CONFLICT', `Character '${training.character_id ?? ''}' of job '${training.id}' no longer exists`);
    const checkpoints = input.checkpoints ?? 'all';
    // A training still queued or running gets a live grid: rows arrive with its checkpoints.
    const live = !isTerminal(training.status);
    const rows = live ? [] : await plannedRows(this.deps, training, checkpoints);
    if (!live) {
      const have = (checkpoints === 'all' ? rows : await plannedRows(this.deps, training, 'all')).map((r) => r.step);
      const missing = checkpoints === 'all' ? [] : checkpoints.filter((s) => !have.includes(s));
      if (missing.length > 0) {
        throw AppError.badParam('checkpoints', `Parameter 'checkpoints': job '${training.id}' has no checkpoint at step ${missing.join(', ')}${have.length ? ` (it has: ${have.join(', ')})` : ''}`);
      }
      if (rows.length === 0) throw new AppError('CONFLICT', `Job '${training.id}' is ${training.status} and has no checkpoint or LoRA left to evaluate`);
    }
    const trigger = character.trigger_word;
    const given = input.prompts ?? (training.sample_prompts?.length ? training.sample_prompts.slice(0, EVALUATION_MAX_PROMPTS) : defaultEvaluationPrompts(trigger));
    const prompts = given.map((p) => withTriggerWord(p, trigger));
    const base = input.seed ?? randomInt(0, 2 ** 32);
    const p = this.deps.image.parameters;
    const record = await this.deps.jobs.create({
      type: 'evaluation',
      character_id: character.id,
      training_id: training.id,
      config: {
        checkpoints,
        strengths: input.strengths ?? [...DEFAULT_EVALUATION_STRENGTHS],
        prompts,
        seeds: prompts.map((_, i) => base + i),
        live,
        model_variant: 'flux-dev',
        width: input.width ?? p.width.default,
        height: input.height ?? p.height.default,
        steps: input.steps ?? p.steps.default,
      },
      evaluation_rows: rows.map(({ step, final, lora_id }) => ({ step, final, lora_id })),
    });
    return { id: record.id };
  }

  async get(id: string): Promise<EvaluationGrid> {
    return gridOf(await this.deps.jobs.get(id, 'evaluation'));
  }

  /** The training's evaluations, newest first. */
  async list(trainingId: string): Promise<EvaluationSummary[]> {
    const training = await this.training(trainingId);
    const out: EvaluationSummary[] = [];
    let cursor: string | number | null = null;
    do {
      const page = await this.deps.jobs.list({ type: 'evaluation', characterId: training.character_id, limit: 100, cursor });
      for (const r of page.items) if (r.training_id === training.id) out.push({ id: r.id, status: r.status, created_at: r.created_at });
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out.sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /**
   * "Use this": the row's LoRA (the final one, or the checkpoint registered through
   * loras.fromCheckpoint, the same LoRA every time) at `strength` becomes what Generate
   * prefills for the character.
   */
  async use(input: { id: string; step: number; strength: number }): Promise<Character> {
    const record = await this.deps.jobs.get(input.id, 'evaluation');
    const rows = record.evaluation_rows ?? [];
    const row = rows.find((r) => r.step === input.step && r.final) ?? rows.find((r) => r.step === input.step);
    if (!row) {
      const have = rows.map((r) => r.step).join(', ');
      throw AppError.badParam('step', `Parameter 'step': evaluation '${record.id}' has no row at step ${input.step}${have ? ` (it has: ${have})` : ''}`);
    }
    const loraId = row.final && row.lora_id ? row.lora_id : (await this.deps.lorasService.fromCheckpoint({ job_id: record.training_id ?? '', step: row.step })).id;
    await this.deps.loras.require(loraId);
    await this.deps.store.amend(record.id, (r) => ({
      ...r,
      evaluation_rows: (r.evaluation_rows ?? []).map((x) => (x.step === row.step && x.final === row.final ? { ...x, lora_id: loraId } : x)),
    }));
    const characterId = record.character_id ?? '';
    return this.deps.characters.mutate(characterId, (c) => ({
      ...c,
      generation_defaults: { lora_id: loraId, strength: input.strength },
      updated_at: new Date().toISOString(),
    }));
  }

  private async training(id: string): Promise<JobRecord> {
    const training = await this.deps.jobs.get(id, 'training');
    if (training.purged_at) throw AppError.notFound(`Training job '${id}' not found`);
    return training;
  }
}
