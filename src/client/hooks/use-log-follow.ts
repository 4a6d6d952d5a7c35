/**
 * A job's log, live, over the `jobs.onLog` subscription: every line so far, then each new one,
 * until the server ends the stream at a terminal status. The link resumes a dropped stream at
 * the last byte offset it saw, so lines are appended, never read twice.
 */
import { useState } from 'react';
import type { JobLogLine } from '../../shared/job-log.js';
import { errorMessage } from '../lib/errors.js';
import { trpc } from '../lib/trpc.js';
import type { LossPoint } from './use-job-updates.js';

const MAX_LINES = 2000;

export type LogState = 'connecting' | 'streaming' | 'ended' | 'error';

const httpStatusOf = (error: unknown) => (error as { data?: { httpStatus?: number } } | null)?.data?.httpStatus;

export function useLogFollow(jobId: string | null) {
  const [log, setLog] = useState<{ jobId: string | null; lines: JobLogLine[]; ended: boolean }>({ jobId, lines: [], ended: false });
  // A different job starts from nothing rather than showing the previous one's lines.
  const current = log.jobId === jobId ? log : { jobId, lines: [], ended: false };
  if (current !== log) setLog(current);

  const subscription = trpc.jobs.onLog.useSubscription(
    { jobId: jobId ?? '' },
    {
      enabled: jobId !== null,
      onData(event) {
        setLog((prev) => (prev.jobId === jobId ? { ...prev, lines: [...prev.lines, ...event.data.lines].slice(-MAX_LINES) } : prev));
      },
      onComplete() {
        setLog((prev) => (prev.jobId === jobId ? { ...prev, ended: true } : prev));
      },
    },
  );

  const { status, error } = subscription;
  // A log that does not exist yet (404) may appear in a moment: the link keeps trying. A request
  // the server refuses for good (another 4xx) or a failed stream is shown.
  const refused = status === 'connecting' && error && (httpStatusOf(error) ?? 500) < 500 && httpStatusOf(error) !== 404;
  let state: LogState = 'connecting';
  if (current.ended) state = 'ended';
  else if (status === 'error' || refused) state = 'error';
  else if (status === 'pending' || current.lines.length > 0) state = 'streaming';
  return { lines: current.lines, state, error: state === 'error' && error ? errorMessage(error) : null };
}

/** Loss history from log records that carry a step and a loss (reload-safe, unlike live updates). */
export function lossPointsFromLog(lines: JobLogLine[]): LossPoint[] {
  const points: LossPoint[] = [];
  for (const line of lines) {
    if ('raw' in line) continue;
    const f = line.fields;
    const step = f?.step ?? f?.current_step;
    if (typeof step === 'number' && typeof f?.loss === 'number') points.push({ step, loss: f.loss });
  }
  return points;
}
