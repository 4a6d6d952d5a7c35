/**
 * How an evaluation job's record becomes the grid the SPA and CLI read (docs/contracts.md,
 * "Evaluation grids"). Pure: the API builds the answer from the record alone. A cell's image is
 * the job output named by cellName(), so a cell is filled the moment its output is recorded, and a
 * cancelled or failed grid keeps every cell that finished.
 */
import type { JobRecord } from './job-record.js';
import type { EvaluationCell, EvaluationGrid, EvaluationRow } from './evaluations.js';

export type EvaluationRowPlan = NonNullable<JobRecord['evaluation_rows']>[number];

/** Most strengths and checkpoint steps one request may name (a grid is rows × strengths × prompts images). */
export const EVALUATION_MAX_STRENGTHS = 8;
export const EVALUATION_MAX_CHECKPOINTS = 20;

/** Prompts when the training has no sample prompts: two portraits, so likeness is what differs. */
export function defaultEvaluationPrompts(trigger: string): string[] {
  return [
    `photo of ${trigger}, portrait, looking at the camera, soft natural light`,
    `close-up portrait photo of ${trigger}, neutral background, studio lighting`,
  ];
}

const pad = (step: number) => String(step).padStart(9, '0');

/** Output file name of one cell: flat, unique per (row, strength index, prompt index). */
export function cellName(jobId: string, row: { step: number; final: boolean }, strengthIndex: number, promptIndex: number): string {
  return `${jobId}_${row.final ? 'final' : pad(row.step)}_s${strengthIndex}_p${promptIndex}.png`;
}

/** Checkpoint rows by step, the final LoRA row last. */
export function sortRows<T extends { step: number; final: boolean }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => Number(a.final) - Number(b.final) || a.step - b.step);
}

/** Adds rows not planned yet (a row is its step, or `final`); an existing row keeps its lora_id. */
export function mergeRows(current: readonly EvaluationRowPlan[], added: readonly EvaluationRowPlan[]): EvaluationRowPlan[] {
  const key = (r: EvaluationRowPlan) => (r.final ? 'final' : String(r.step));
  const byKey = new Map(current.map((r) => [key(r), r]));
  for (const r of added) if (!byKey.has(key(r))) byKey.set(key(r), r);
  return sortRows([...byKey.values()]);
}

interface GridConfig {
  strengths: number[];
  prompts: string[];
  seeds: number[];
  live?: boolean;
  width: number | null;
  height: number | null;
  steps: number | null;
}

function gridConfig(record: JobRecord): GridConfig {
  const c = record.config as Partial<GridConfig>;
  const list = <T>(v: unknown, ok: (x: unknown) => x is T): T[] => (Array.isArray(v) ? v.filter(ok) : []);
  const isNum = (x: unknown): x is number => typeof x === 'number';
  const num = (x: unknown) => (isNum(x) ? x : null);
  return {
    strengths: list(c.strengths, isNum),
    prompts: list(c.prompts, (x): x is string => typeof x === 'string'),
    seeds: list(c.seeds, isNum),
    live: c.live === true,
    width: num(c.width),
    height: num(c.height),
    steps: num(c.steps),
  };
}

/** The grid of an evaluation job record: every planned cell, with its image once rendered. */
export function gridOf(record: JobRecord): EvaluationGrid {
  const { strengths, prompts, seeds, live, width, height, steps } = gridConfig(record);
  const done = new Set(record.outputs.map((o) => o.name));
  const stopped = record.status === 'failed' || record.status === 'cancelled';
  const rows: EvaluationRow[] = sortRows(record.evaluation_rows ?? []).map((row) => ({
    step: row.step,
    final: row.final,
    lora_id: row.lora_id,
    cells: prompts.flatMap((_, p) =>
      strengths.map((strength, s): EvaluationCell => {
        const name = cellName(record.id, row, s, p);
        const image = done.has(name) ? name : null;
        return {
          strength,
          prompt_index: p,
          seed: seeds[p] ?? 0,
          image,
          ...(image === null && stopped ? { error: `Not rendered: the evaluation ${record.status === 'failed' ? 'failed' : 'was cancelled'}` } : {}),
        };
      }),
    ),
  }));
  return {
    id: record.id,
    training_id: record.training_id ?? '',
    character_id: record.character_id ?? '',
    status: record.status,
    strengths,
    prompts,
    seeds,
    live: live === true,
    width,
    height,
    steps,
    rows,
  };
}
