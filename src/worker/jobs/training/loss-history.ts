/**
 * A resumed training's loss chart continues the original's: the original's logged loss points up
 * to the checkpoint step are written into the new job's log (`job.history`), where every reader
 * of the log (SPA chart, CLI, a downloaded log) finds them.
 */
import { eachLine } from '../../../shared/node/jsonl-lines.js';
import type { VolumePaths } from '../../../shared/node/volume.js';
import type { JobContext } from '../../backends/types.js';

/** Milestones are a line per 10 % plus trainer lines; a few hundred points at most are worth keeping. */
const MAX_POINTS = 500;

export async function copyLossHistory(paths: VolumePaths, fromJobId: string, upToStep: number, ctx: JobContext): Promise<number> {
  const byStep = new Map<number, number>();
  try {
    await eachLine(paths.jobLog(fromJobId), (line) => {
      if (!line.includes('"loss"')) return;
      try {
        const fields = (JSON.parse(line) as { fields?: Record<string, unknown> }).fields;
        const step = fields?.step ?? fields?.current_step;
        const loss = fields?.loss;
        if (typeof step === 'number' && typeof loss === 'number' && step <= upToStep) byStep.set(step, loss);
      } catch {
        // A torn last line of a log still being written: skip it.
      }
    });
  } catch {
    return 0;
  }
  const points = [...byStep.entries()].sort((a, b) => a[0] - b[0]).slice(-MAX_POINTS);
  for (const [step, loss] of points) ctx.logger.info(`Loss at step ${step} (from ${fromJobId})`, 'job.history', { step, loss, from_job: fromJobId });
  return points.length;
}
