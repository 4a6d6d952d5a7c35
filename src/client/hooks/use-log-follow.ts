/** Tails a job's JSONL log (`/logs?follow=1`) while mounted; the server ends it at a terminal status. */
import { useEffect, useState } from 'react';
import { followLog, HttpError, type LogLine } from '../lib/api.js';
import { errorMessage } from '../lib/errors.js';
import type { LossPoint } from './use-job-updates.js';

const MAX_LINES = 2000;
const RETRIES = 5;

export type LogState = 'connecting' | 'streaming' | 'ended' | 'error';

export function useLogFollow(jobId: string | null) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<LogState>('connecting');
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!jobId) return;
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (attempt: number) => {
      setLines([]);
      setError(null);
      setState(attempt === 0 ? 'connecting' : 'streaming');
      try {
        await followLog(
          jobId,
          (more) => {
            setState('streaming');
            setLines((prev) => [...prev, ...more].slice(-MAX_LINES));
          },
          abort.signal,
        );
        if (!abort.signal.aborted) setState('ended');
      } catch (err) {
        if (abort.signal.aborted) return;
        // A job created a moment ago may not have its log yet; a dropped stream is re-read whole.
        const retry = attempt < RETRIES && !(err instanceof HttpError && err.status === 400);
        if (retry) timer = setTimeout(() => void run(attempt + 1), 500 * (attempt + 1));
        else {
          setError(errorMessage(err));
          setState('error');
        }
      }
    };
    void run(0);
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [jobId]);

  return { lines, state, error };
}

/** Loss history from log records that carry a step and a loss (reload-safe, unlike live updates). */
export function lossPointsFromLog(lines: LogLine[]): LossPoint[] {
  const points: LossPoint[] = [];
  for (const line of lines) {
    const f = line.fields;
    const step = f?.step ?? f?.current_step;
    if (typeof step === 'number' && typeof f?.loss === 'number') points.push({ step, loss: f.loss });
  }
  return points;
}
