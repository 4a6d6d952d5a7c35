/**
 * `isengard evaluate <training_id>`: a checkpoint × strength × prompt grid (docs/contracts.md,
 * "Evaluation grids"), followed with progress until every cell is rendered, then where it is.
 */
import type { EvaluationGrid } from '../../shared/evaluations.js';
import type { JobRecord } from '../../shared/jobs.js';
import { waitForJob } from '../client.js';
import { EXIT } from '../cli-errors.js';
import type { Command, CommandContext } from './command.js';
import { exitFor, fileUrl } from './job-view.js';

/** `0.8,1.0` → [0.8, 1]; a part that is not a number is sent as-is so the server names the problem. */
function numberList(value: string): (number | string)[] {
  return value.split(',').map((part) => {
    const t = part.trim();
    return t !== '' && Number.isFinite(Number(t)) ? Number(t) : t;
  });
}

function gridLines(ctx: CommandContext, record: JobRecord, grid: EvaluationGrid): string[] {
  const cells = grid.rows.flatMap((r) => r.cells);
  const done = cells.filter((c) => c.image !== null).length;
  const base = ctx.conn.url.replace(/\/+$/, '');
  const lines = [
    `${grid.id}  evaluation  ${grid.status}  ${grid.rows.length} rows × ${grid.strengths.length} strengths × ${grid.prompts.length} prompts, ${done}/${cells.length} images`,
    `  training    ${grid.training_id}`,
    ...(grid.width && grid.height && grid.steps ? [`  each image  flux-dev, ${grid.width} × ${grid.height} px, ${grid.steps} steps`] : []),
    ...grid.prompts.map((p, i) => `  prompt ${i}    seed ${grid.seeds[i]}  ${p}`),
  ];
  const width = 8;
  lines.push(`  ${'step'.padEnd(12)}${grid.strengths.map((s) => String(s).padEnd(width)).join('')}`);
  for (const row of grid.rows) {
    const label = `${row.step}${row.final ? ' final' : ''}`;
    const marks = grid.strengths.map((_, s) => {
      const mine = row.cells.filter((c) => c.strength === grid.strengths[s]);
      return `${mine.filter((c) => c.image !== null).length}/${mine.length}`.padEnd(width);
    });
    lines.push(`  ${label.padEnd(12)}${marks.join('')}`);
  }
  if (record.error) lines.push(`  error       ${record.error}`);
  lines.push(
    `  grid        ${base}/evaluations/${grid.id}`,
    `  data        ${base}/api/trpc/evaluations.get?input=${encodeURIComponent(JSON.stringify({ id: grid.id }))}`,
    `  images      ${base}/api/jobs/${grid.id}/files/<name> (on the volume: outputs/${grid.id}/)`,
  );
  const first = cells.find((c) => c.image !== null);
  if (first) lines.push(`  e.g.        ${fileUrl(ctx, record, first.image!)}`);
  return lines;
}

export const evaluateCommand: Command = {
  path: 'evaluate',
  synopsis: '<training_id>',
  summary: 'Render a checkpoint × strength × prompt grid of a training and follow it to the end',
  details: [
    '--strength 0.6,0.8,1.0,1.2 (default), --prompt (1-4, repeatable; default the training sample',
    'prompts), --checkpoints all|500,1000 (the final LoRA is always included), --seed for prompt 0',
    '(prompt i uses seed + i in every cell), --width/--height/--steps for every image (flux-dev; default',
    'the image manifest defaults, 1024 x 1024 and 20 steps; smaller is quicker to look through).',
    'A training still running gets a live grid: rows appear',
    'as checkpoints are saved when another worker is free, otherwise after the training.',
    'Exit 0 when the grid completed, 1 when it failed or was cancelled.',
  ],
  options: ['strength', 'prompt', 'checkpoints', 'seed', 'width', 'height', 'steps', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const { strength, prompt, checkpoints, seed, width, height, steps } = ctx.flags;
    const input = {
      training_id: ctx.args[0]!,
      ...(strength !== undefined ? { strengths: numberList(strength) } : {}),
      ...(prompt ? { prompts: prompt } : {}),
      ...(checkpoints !== undefined ? { checkpoints: checkpoints.trim() === 'all' ? 'all' : numberList(checkpoints) } : {}),
      ...(seed !== undefined ? { seed: numberList(seed)[0] } : {}),
      ...(width !== undefined ? { width: numberList(width)[0] } : {}),
      ...(height !== undefined ? { height: numberList(height)[0] } : {}),
      ...(steps !== undefined ? { steps: numberList(steps)[0] } : {}),
    };
    // The server owns every check (its sentences); non-numbers pass through for that reason.
    const { id } = await ctx.client.evaluations.start.mutate(input as Parameters<typeof ctx.client.evaluations.start.mutate>[0]);
    if (ctx.flags['no-wait']) {
      ctx.out.result({ id }, () => [`${id} queued`, `  follow: isengard evaluate show ${id} | isengard jobs logs ${id} --follow`]);
      return EXIT.ok;
    }
    const view = ctx.out.progress();
    let final: JobRecord;
    try {
      final = await waitForJob(ctx.client, id, { onUpdate: (r) => view.update(r), signal: ctx.signal });
    } catch (err) {
      view.end();
      if (ctx.signal.aborted) ctx.out.note(`Stopped following ${id}; it keeps running (isengard jobs cancel ${id} stops it)`);
      throw err;
    }
    view.end();
    const grid = await ctx.client.evaluations.get.query({ id });
    ctx.out.result(grid, () => gridLines(ctx, final, grid));
    return exitFor(final);
  },
};

const show: Command = {
  path: 'evaluate show',
  synopsis: '<evaluation_id>',
  summary: 'Show an evaluation grid: which cells are rendered and where the images are',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const id = ctx.args[0]!;
    const [record, grid] = await Promise.all([ctx.client.jobs.get.query({ id }), ctx.client.evaluations.get.query({ id })]);
    ctx.out.result(grid, () => gridLines(ctx, record, grid));
    return EXIT.ok;
  },
};

export const evaluateCommands = [evaluateCommand, show];
