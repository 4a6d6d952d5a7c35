/**
 * Which rows an evaluation grid has right now: the training's checkpoints whose files are still
 * there (all of them, or the requested steps) and, once the training completed, its final LoRA,
 * always included. The API plans a finished training's grid with it when the job is created; the
 * worker calls it again while a live training adds checkpoints.
 */
import { existsSync } from 'node:fs';
import type { JobRecord } from '../jobs.js';
import { sortRows } from '../evaluation-grid.js';
import type { LoraStore } from './lora-store.js';
import { checkpointsOf } from './training-files.js';
import type { VolumePaths } from './volume.js';

export interface PlannedRow {
  step: number;
  final: boolean;
  /** The final row's LoRA; null for a checkpoint row until "Use this" registers it. */
  lora_id: string | null;
  /** The file a cell loads: `id` names its link in ComfyUI's models/loras (unique per file). */
  lora: { id: string; path: string };
}

/** ComfyUI link id of a checkpoint file: per training and step, so a purge finds a training's links by prefix. */
export const checkpointLinkPrefix = (trainingId: string) => `ckpt-${trainingId}-`;
export const checkpointLoraId = (trainingId: string, step: number) => `${checkpointLinkPrefix(trainingId)}${step}`;

export async function plannedRows(
  deps: { paths: VolumePaths; loras: LoraStore },
  training: JobRecord,
  wanted: 'all' | readonly number[],
): Promise<PlannedRow[]> {
  const rows: PlannedRow[] = [];
  if (training.status === 'completed' && training.result_lora_id) {
    const lora = await deps.loras.get(training.result_lora_id);
    const file = deps.loras.filePath(training.result_lora_id);
    if (lora && existsSync(file)) rows.push({ step: lora.steps, final: true, lora_id: lora.id, lora: { id: lora.id, path: file } });
  }
  const finalStep = rows[0]?.step;
  for (const c of checkpointsOf(deps.paths, training)) {
    if (wanted !== 'all' && !wanted.includes(c.step)) continue;
    // A checkpoint saved at the last step is the final LoRA's twin: the final row stands for it.
    if (c.step === finalStep) continue;
    rows.push({ step: c.step, final: false, lora_id: null, lora: { id: checkpointLoraId(training.id, c.step), path: c.file } });
  }
  return sortRows(rows);
}
