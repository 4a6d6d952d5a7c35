/** Showing a job record, and following a job to its end: shared by train, generate and jobs. */
import type { JobRecord } from '../../shared/jobs.js';
import { waitForJob } from '../client.js';
import { EXIT } from '../cli-errors.js';
import { formatDuration } from '../output.js';
import type { CommandContext } from './command.js';

export function fileUrl(ctx: CommandContext, job: JobRecord, name: string): string {
  return `${ctx.conn.url.replace(/\/+$/, '')}/api/jobs/${job.id}/files/${encodeURIComponent(name)}`;
}

function took(job: JobRecord): string {
  if (!job.started_at || !job.finished_at) return '';
  return ` in ${formatDuration((Date.parse(job.finished_at) - Date.parse(job.started_at)) / 1000)}`;
}

/** Human rendering of one record: summary line, state details, outputs with their URLs. */
export function describeJob(ctx: CommandContext, job: JobRecord, opts: { config?: boolean } = {}): string[] {
  const lines = [`${job.id}  ${job.type}  ${job.status}${took(job)}  ${Math.round(job.progress * 100)}%`];
  if (job.character_id) lines.push(`  character   ${job.character_id}`);
  if (job.lora_id) lines.push(`  lora        ${job.lora_id}`);
  if (job.result_lora_id) lines.push(`  trained     ${job.result_lora_id}`);
  if (job.current_step !== undefined) lines.push(`  step        ${job.current_step}/${job.total_steps ?? '?'}`);
  if (job.loss !== undefined) lines.push(`  loss        ${job.loss}`);
  if (job.message) lines.push(`  message     ${job.message}`);
  if (job.error) lines.push(`  error       ${job.error}`);
  lines.push(`  created     ${job.created_at}`, `  correlation ${job.correlation_id}`);
  if (opts.config) lines.push(`  config      ${JSON.stringify(job.config)}`);
  for (const o of job.outputs) {
    const size = o.width && o.height ? ` ${o.width}x${o.height}` : '';
    const extra = o.seed !== undefined ? ` seed ${o.seed}` : o.step !== undefined ? ` step ${o.step}` : '';
    lines.push(`  ${o.kind.padEnd(10)}  ${o.name}${size}${extra}  ${fileUrl(ctx, job, o.name)}`);
  }
  return lines;
}

/** Completed → 0; failed or cancelled → 1 (the exit codes in the README). */
export const exitFor = (job: JobRecord): number => (job.status === 'completed' ? EXIT.ok : EXIT.jobFailed);

/** After start: return at once with --no-wait, else follow with progress until terminal. */
export async function finishStartedJob(ctx: CommandContext, job: JobRecord): Promise<number> {
  if (ctx.flags['no-wait']) {
    ctx.out.result(job, () => [`${job.id} ${job.status}`, `  follow: isengard jobs show ${job.id} | isengard jobs logs ${job.id} --follow`]);
    return EXIT.ok;
  }
  const view = ctx.out.progress();
  let final: JobRecord;
  try {
    final = await waitForJob(ctx.client, job.id, { onUpdate: (r) => view.update(r), signal: ctx.signal });
  } catch (err) {
    view.end();
    // Ctrl-C stops watching, not the job: say so, or the user may think the GPU is free.
    if (ctx.signal.aborted) ctx.out.note(`Stopped following ${job.id}; it keeps running (isengard jobs cancel ${job.id} stops it)`);
    throw err;
  }
  view.end();
  ctx.out.result(final, () => describeJob(ctx, final));
  return exitFor(final);
}
