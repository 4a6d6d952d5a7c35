/** Title row of a job: id, status, Cancel and Download Logs (docs/contracts.md names both). */
import type { JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { jobLogUrl } from '../lib/api.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox, StatusBadge } from './ui.js';

export function JobActions({ job }: { job: Pick<JobRecord, 'id' | 'status' | 'cancel_requested_at'> }) {
  const utils = trpc.useUtils();
  const cancel = trpc.jobs.cancel.useMutation({ onSettled: () => void utils.jobs.invalidate() });
  const active = !isTerminal(job.status);
  return (
    <div className="job-actions">
      {active && (
        <button type="button" className="danger" onClick={() => cancel.mutate({ id: job.id })} disabled={cancel.isPending || !!job.cancel_requested_at}>
          {job.cancel_requested_at ? 'Cancelling…' : 'Cancel'}
        </button>
      )}
      <a className="button secondary" href={jobLogUrl(job.id)} download={`${job.id}.jsonl`}>
        Download Logs
      </a>
      <ErrorBox error={cancel.error} />
    </div>
  );
}

export function JobHeader({ job, title }: { job: JobRecord; title: string }) {
  return (
    <header className="job-header">
      <div>
        <h1>{title}</h1>
        <p className="mono muted">
          {job.id} <StatusBadge status={job.status} />
        </p>
      </div>
      <JobActions job={job} />
    </header>
  );
}
