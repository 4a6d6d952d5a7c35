/** All jobs with type/status filters; the selected one shows live status and its log. */
import { useState } from 'react';
import { formatParamName } from '../../shared/capabilities.js';
import { JOB_STATUSES, JOB_TYPES, isTerminal, type JobStatus, type JobType } from '../../shared/jobs.js';
import { JobHeader } from '../components/JobHeader.js';
import { JobList } from '../components/JobList.js';
import { JobLog } from '../components/LogViewer.js';
import { Empty, ErrorBox, Loading, ProgressBar, QueryView } from '../components/ui.js';
import { useJobUpdates } from '../hooks/use-job-updates.js';
import { formatValue } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';

function SelectedJob({ jobId }: { jobId: string }) {
  const utils = trpc.useUtils();
  const { record: job, error } = useJobUpdates(jobId, (r) => isTerminal(r.status) && void utils.jobs.list.invalidate());
  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading what="job" />;
  return (
    <section className="card job-detail" aria-label={`Job ${job.id}`}>
      <JobHeader job={job} title={job.type === 'training' ? 'Training job' : 'Generation job'} />
      <ProgressBar value={job.progress} label={`${job.id} progress`} />
      {job.error && <p className="field-error">{job.error}</p>}
      <p className="small">
        <Link to={job.type === 'training' ? `/training/${job.id}` : '/generate'}>{job.type === 'training' ? 'Open training details' : 'Open the gallery'}</Link>
        <span className="muted"> · correlation {job.correlation_id}</span>
      </p>
      <details>
        <summary>Configuration</summary>
        <dl className="config">
          {Object.entries(job.config).map(([k, v]) => (
            <div key={k}>
              <dt>{formatParamName(k)}</dt>
              <dd>{formatValue(v)}</dd>
            </div>
          ))}
        </dl>
      </details>
      <h3>Log</h3>
      <JobLog key={job.id} jobId={job.id} />
    </section>
  );
}

export function JobsPage({ jobId }: { jobId?: string }) {
  const [type, setType] = useState<JobType | ''>('');
  const [status, setStatus] = useState<JobStatus | ''>('');
  const jobs = trpc.jobs.list.useInfiniteQuery(
    { limit: 20, ...(type ? { type } : {}), ...(status ? { status } : {}) },
    {
      getNextPageParam: (last) => last.nextCursor,
      refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((j) => !isTerminal(j.status))) ? 1500 : false),
    },
  );

  return (
    <div className="page sidebar-layout">
      <aside aria-labelledby="jobs-title">
        <h1 id="jobs-title">Jobs</h1>
        <div className="row filters">
          <div className="field">
            <label htmlFor="filter-type">Type</label>
            <select id="filter-type" value={type} onChange={(e) => setType(e.target.value as JobType | '')}>
              <option value="">All types</option>
              {JOB_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="filter-status">Status</label>
            <select id="filter-status" value={status} onChange={(e) => setStatus(e.target.value as JobStatus | '')}>
              <option value="">All statuses</option>
              {JOB_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
        </div>
        <QueryView query={jobs} what="jobs">
          {(data) => {
            const items = data.pages.flatMap((p) => p.items);
            if (items.length === 0) return <Empty>No jobs match.</Empty>;
            return (
              <>
                <JobList jobs={items} hrefFor={(j) => `/jobs/${j.id}`} selectedId={jobId} />
                {jobs.hasNextPage && (
                  <button type="button" className="secondary" onClick={() => void jobs.fetchNextPage()} disabled={jobs.isFetchingNextPage}>
                    {jobs.isFetchingNextPage ? 'Loading…' : 'Load more'}
                  </button>
                )}
              </>
            );
          }}
        </QueryView>
      </aside>
      <div>{jobId ? <SelectedJob key={jobId} jobId={jobId} /> : <Empty>Pick a job to follow its log.</Empty>}</div>
    </div>
  );
}
