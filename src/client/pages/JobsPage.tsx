/** All jobs with type/status filters; the selected one shows live status and its log. */
import { useEffect, useRef, useState } from 'react';
import { JOB_STATUSES, JOB_TYPES, isTerminal, type JobRecord, type JobStatus, type JobType } from '../../shared/jobs.js';
import { JobHeader } from '../components/JobHeader.js';
import { JobList } from '../components/JobList.js';
import { JobLog } from '../components/LogViewer.js';
import { ConfigList, Empty, ErrorBox, FilterSelect, Loading, ProgressBar, QueryView } from '../components/ui.js';
import { useJobUpdates } from '../hooks/use-job-updates.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';

/** What each job type is called and where its own page is (a purge has none: the person is gone). */
const JOB_PAGES: Record<JobType, { title: string; link?: (job: JobRecord) => { to: string; text: string } }> = {
  training: { title: 'Training job', link: (j) => ({ to: `/training/${j.id}`, text: 'Open training details' }) },
  generation: { title: 'Generation job', link: () => ({ to: '/generate', text: 'Open the gallery' }) },
  evaluation: { title: 'Evaluation job', link: (j) => ({ to: `/evaluations/${j.id}`, text: 'Open the grid' }) },
  caption: { title: 'Caption job', link: () => ({ to: '/characters', text: 'Open Characters' }) },
  purge: { title: 'Purge job' },
};

function SelectedJob({ jobId }: { jobId: string }) {
  const utils = trpc.useUtils();
  const { record: job, error } = useJobUpdates(jobId, (r) => isTerminal(r.status) && void utils.jobs.list.invalidate());
  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading what="job" />;
  const link = JOB_PAGES[job.type].link?.(job);
  return (
    <section className="card job-detail" aria-label={`Job ${job.id}`}>
      <JobHeader job={job} title={JOB_PAGES[job.type].title} />
      <ProgressBar value={job.progress} label={`${job.id} progress`} />
      {job.error && <p className="field-error">{job.error}</p>}
      {job.archived && <p className="muted small">Archived: this record was moved out of Redis to the archive on the volume; its files and log stay.</p>}
      <p className="small">
        {link && (
          <>
            <Link to={link.to}>{link.text}</Link>
            <span className="muted"> · </span>
          </>
        )}
        <span className="muted">correlation {job.correlation_id}</span>
      </p>
      <details>
        <summary>Configuration</summary>
        <ConfigList config={job.config} />
      </details>
      <h3>Log</h3>
      <JobLog key={job.id} jobId={job.id} />
    </section>
  );
}

/** Past this many pages (20 jobs each) the list stops polling; the selected job stays live over SSE. */
const MAX_POLLED_PAGES = 5;

/** Calls `onNear` when the end of the list comes within a screen of the viewport (infinite load). */
function NearEnd({ onNear }: { onNear: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const latest = useRef(onNear);
  latest.current = onNear;
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof IntersectionObserver === 'undefined') return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && latest.current(), { rootMargin: '100% 0px' });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  return <div ref={ref} aria-hidden="true" />;
}

export function JobsPage({ jobId }: { jobId?: string }) {
  const [type, setType] = useState<JobType | ''>('');
  const [status, setStatus] = useState<JobStatus | ''>('');
  const jobs = trpc.jobs.list.useInfiniteQuery(
    { limit: 20, ...(type ? { type } : {}), ...(status ? { status } : {}) },
    {
      getNextPageParam: (last) => last.nextCursor,
      // A refetch asks again for every page loaded: poll only while that is a few requests.
      refetchInterval: (q) => {
        const pages = q.state.data?.pages ?? [];
        return pages.length <= MAX_POLLED_PAGES && pages.some((p) => p.items.some((j) => !isTerminal(j.status))) ? 1500 : false;
      },
    },
  );

  return (
    <div className="page sidebar-layout">
      <aside aria-labelledby="jobs-title">
        <h1 id="jobs-title">Jobs</h1>
        <div className="row filters">
          <FilterSelect id="filter-type" label="Type" all="All types" options={JOB_TYPES} value={type} onChange={setType} />
          <FilterSelect id="filter-status" label="Status" all="All statuses" options={JOB_STATUSES} value={status} onChange={setStatus} />
        </div>
        <QueryView query={jobs} what="jobs">
          {(data) => {
            const items = data.pages.flatMap((p) => p.items);
            if (items.length === 0) return <Empty>No jobs match.</Empty>;
            return (
              <>
                <JobList jobs={items} hrefFor={(j) => `/jobs/${j.id}`} selectedId={jobId} />
                {jobs.hasNextPage && (
                  <>
                    <NearEnd key={data.pages.length} onNear={() => !jobs.isFetchingNextPage && void jobs.fetchNextPage()} />
                    <button type="button" className="secondary" onClick={() => void jobs.fetchNextPage()} disabled={jobs.isFetchingNextPage}>
                      {jobs.isFetchingNextPage ? 'Loading…' : 'Load more'}
                    </button>
                  </>
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
