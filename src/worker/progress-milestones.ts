import type { ProgressUpdate } from '../shared/jobs.js';
import type { JobLogger } from '../shared/node/job-logger.js';

/** The JSONL keeps one line per 10 % so a reloaded page or a downloaded log can show the curve. */
export function progressMilestones(jobLog: JobLogger): (u: ProgressUpdate) => void {
  let lastDecile = 0;
  return (u) => {
    const decile = Math.floor(u.progress * 10);
    if (decile <= lastDecile) return;
    lastDecile = decile;
    jobLog.info(`Progress ${decile * 10}%`, 'job.progress', {
      progress: Number(u.progress.toFixed(3)),
      current_step: u.current_step,
      total_steps: u.total_steps,
      loss: u.loss,
      it_per_sec: u.it_per_sec,
      eta_seconds: u.eta_seconds,
      message: u.message,
    });
  };
}
