/**
 * Evaluation (issue #17): renders a training's checkpoints × strengths × prompts grid. Each pass
 * plans the rows that exist now (evaluation-plan.ts), hands every missing cell of them to the
 * image backend in one batch (ComfyUI gets them all queued ahead), and records each image as it
 * is saved, so a cancel keeps the finished cells.
 *
 * Live mode (docs/contracts.md, "Evaluation grids"): while the training runs on another worker,
 * the job waits for new checkpoints and renders each as a row, ending after the final LoRA's row.
 * It never holds a worker for a training that is not running: a queued training (not started,
 * awaiting a retry) or one whose worker lost its lease puts the evaluation back in the queue
 * (JobDeferredError), so on a one-worker pod the training always gets the GPU first.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { cellName, mergeRows } from '../../../shared/evaluation-grid.js';
import { isTerminal, type JobRecord } from '../../../shared/jobs.js';
import { plannedRows, type PlannedRow } from '../../../shared/node/evaluation-plan.js';
import { JobDeferredError, NonRetryableError, type GridImage, type JobContext } from '../../backends/types.js';
import type { HandlerJob, JobHandler, JobHandlerDeps } from '../types.js';

/** How often a live evaluation looks for a new checkpoint. */
const POLL_MS = 500;
/** How long a deferred evaluation waits in the queue before looking at its training again. */
export const DEFER_MS = 2000;

const rowKey = (r: { step: number; final: boolean }) => (r.final ? 'final' : String(r.step));

export function createEvaluationHandler(deps: JobHandlerDeps): JobHandler<'evaluation'> {
  const { store, image } = deps;
  return async (job, ctx) => {
    const cfg = job.config;
    const cellsPerRow = cfg.prompts.length * cfg.strengths.length;
    const rendered = new Set<string>();
    let planned = 0;
    let done = 0;
    const report = (message: string) => ctx.progress({ progress: planned ? Math.min(0.99, done / planned) : 0, message });

    for (let pass = 0; ; pass++) {
      const training = await store.get(job.training_id);
      if (!training || training.type !== 'training') throw new NonRetryableError(`Training job '${job.training_id}' not found`);
      await deferUnlessRunning(deps, training, pass === 0 ? 'to start' : 'to run again');
      const rows = (await plannedRows(deps, training, cfg.checkpoints)).filter((r) => !rendered.has(rowKey(r)));
      if (rows.length > 0) {
        await store.update(job.id, (r) => ({ ...r, evaluation_rows: mergeRows(r.evaluation_rows ?? [], rows.map(({ step, final, lora_id }) => ({ step, final, lora_id }))) }));
        planned += rows.length * cellsPerRow;
        const todo = await adoptFinishedCells(job, rows, ctx);
        done += rows.length * cellsPerRow - todo.length;
        ctx.logger.info(`Rendering ${rows.length} row(s): ${rows.map((r) => (r.final ? `final (step ${r.step})` : `step ${r.step}`)).join(', ')}`, 'evaluation.rows', {
          steps: rows.map((r) => r.step),
          final: rows.some((r) => r.final),
          images: todo.length,
        });
        report(`${done}/${planned} images`);
        await image.renderGrid(
          {
            config: { model_variant: cfg.model_variant, width: cfg.width, height: cfg.height, steps: cfg.steps },
            images: todo,
            onImage: () => {
              done++;
              report(`${done}/${planned} images`);
            },
          },
          ctx,
        );
        for (const r of rows) rendered.add(rowKey(r));
        continue; // a checkpoint may have appeared while these rendered
      }
      if (isTerminal(training.status)) break;
      report(`${done}/${planned} images; waiting for the next checkpoint of ${training.id}`);
      await sleep(POLL_MS, undefined, { signal: ctx.signal });
    }

    // Rows planned at creation whose checkpoint is gone (deleted, or kept out by keep_checkpoints) leave the grid.
    const final = await store.update(job.id, (r) => ({ ...r, evaluation_rows: (r.evaluation_rows ?? []).filter((row) => rendered.has(rowKey(row))) }));
    if (rendered.size === 0) throw new NonRetryableError(`Training '${job.training_id}' left no checkpoint or LoRA to evaluate`);
    const rowsDone = final?.evaluation_rows?.length ?? rendered.size;
    return { message: `${rowsDone} rows × ${cfg.strengths.length} strengths × ${cfg.prompts.length} prompts rendered` };
  };
}

/**
 * Waiting is only fair while the training really runs elsewhere: a queued training needs a worker,
 * possibly this one, and a running one without a lease has lost its worker (the stall check will
 * queue it again). Either way the evaluation steps aside.
 */
async function deferUnlessRunning({ store }: JobHandlerDeps, training: JobRecord, what: string): Promise<void> {
  if (isTerminal(training.status)) return;
  const orphaned = training.status === 'running' && !(await store.leaseHolder(training.id));
  if (training.status === 'queued' || orphaned) throw new JobDeferredError(`Waiting for training ${training.id} ${what}`, DEFER_MS);
}

/**
 * The images still to render for `rows`. A cell whose file an earlier run of this job already
 * saved (a re-run after a lost worker or a deferral) is recorded again instead of rendered again.
 */
async function adoptFinishedCells(job: HandlerJob<'evaluation'>, rows: PlannedRow[], ctx: JobContext): Promise<GridImage[]> {
  const cfg = job.config;
  const todo: GridImage[] = [];
  for (const row of rows) {
    for (const [p, prompt] of cfg.prompts.entries()) {
      for (const [s, strength] of cfg.strengths.entries()) {
        const name = cellName(job.id, row, s, p);
        const seed = cfg.seeds[p] ?? cfg.seeds[0]!;
        const file = path.join(ctx.outputsDir, name);
        if (existsSync(file)) {
          const meta = await sharp(await fs.readFile(file)).metadata().catch(() => null);
          if (meta?.width) {
            await ctx.addOutput({ name, kind: 'image', width: meta.width, height: meta.height, seed, step: row.step });
            continue;
          }
        }
        todo.push({ prompt, seed, lora: row.lora, strength, name, step: row.step });
      }
    }
  }
  return todo;
}
