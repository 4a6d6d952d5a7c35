/**
 * Live job record over the `jobs.onUpdate` SSE subscription (current record first, then every
 * change), plus the loss points seen on the way: the record only holds the latest loss.
 */
import { useState } from 'react';
import type { JobRecord } from '../../shared/jobs.js';
import { trpc } from '../lib/trpc.js';

export interface LossPoint {
  step: number;
  loss: number;
}

export function useJobUpdates(jobId: string | null, onRecord?: (record: JobRecord) => void) {
  const [state, setState] = useState<{ jobId: string | null; record: JobRecord | null; points: LossPoint[] }>({
    jobId,
    record: null,
    points: [],
  });
  // A different job starts from nothing rather than showing the previous one's numbers.
  const current = state.jobId === jobId ? state : { jobId, record: null, points: [] };
  if (current !== state) setState(current);

  const subscription = trpc.jobs.onUpdate.useSubscription(
    { jobId: jobId ?? '' },
    {
      enabled: jobId !== null,
      onData(record) {
        setState((prev) => {
          if (prev.jobId !== record.id) return prev;
          if (prev.record && prev.record.rev > record.rev) return prev;
          const step = record.current_step;
          const points =
            step !== undefined && record.loss !== undefined && !prev.points.some((p) => p.step === step)
              ? [...prev.points, { step, loss: record.loss }]
              : prev.points;
          return { jobId: prev.jobId, record, points };
        });
        onRecord?.(record);
      },
    },
  );
  return { record: current.record, points: current.points, error: subscription.error, status: subscription.status };
}

/** Merges two point series by step (log history + live updates), sorted. */
export function mergePoints(...series: LossPoint[][]): LossPoint[] {
  const byStep = new Map<number, LossPoint>();
  for (const s of series) for (const p of s) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
