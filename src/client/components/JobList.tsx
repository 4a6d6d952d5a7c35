/** A compact list of jobs: status, progress, step; each row links to its detail page. */
import type { JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { formatTime } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { ProgressBar, StatusBadge } from './ui.js';
import { VirtualRows } from './VirtualRows.js';

/** A windowed row's height and the gap between rows (styles.css: .job-list.windowed). */
const JOB_ROW_HEIGHT = 128;
const JOB_ROW_GAP = 8;

export function jobSummary(job: JobRecord, names: Readonly<Record<string, string>> = {}): string {
  if (job.type === 'generation') {
    const prompt = typeof job.config.prompt === 'string' ? job.config.prompt : '';
    return prompt.length > 60 ? `${prompt.slice(0, 60)}…` : prompt;
  }
  return job.character_id ? (names[job.character_id] ?? job.character_id) : '';
}

export function JobList(props: { jobs: readonly JobRecord[]; hrefFor: (job: JobRecord) => string; selectedId?: string }) {
  const characters = trpc.characters.list.useQuery(undefined, { staleTime: 30_000 });
  const names = Object.fromEntries((characters.data ?? []).map((c) => [c.id, c.name]));
  return (
    <VirtualRows
      items={props.jobs}
      className="job-list"
      rowHeight={JOB_ROW_HEIGHT}
      gap={JOB_ROW_GAP}
      itemKey={(job) => job.id}
      itemClassName={(job) => (job.id === props.selectedId ? 'selected' : undefined)}
      render={(job) => (
        <Link to={props.hrefFor(job)} className="job-row" aria-current={job.id === props.selectedId ? 'page' : undefined}>
          <div className="job-row-head">
            <span className="mono">{job.id}</span>
            <span>
              {job.archived && <span className="muted small">archived </span>}
              <StatusBadge status={job.status} />
            </span>
          </div>
          <div className="job-row-meta">
            <span>{jobSummary(job, names)}</span>
            <span className="muted">{formatTime(job.created_at)}</span>
          </div>
          {!isTerminal(job.status) || job.status === 'completed' ? (
            <ProgressBar value={job.progress} label={`${job.id} progress`} />
          ) : (
            job.error && <p className="field-error">{job.error}</p>
          )}
          {job.current_step !== undefined && job.total_steps !== undefined && (
            <span className="muted small">
              step {job.current_step} / {job.total_steps}
            </span>
          )}
        </Link>
      )}
    />
  );
}

/** Lists refresh while something is still moving; idle lists stay quiet. */
export const pollWhileActive = (jobs: readonly JobRecord[] | undefined) =>
  jobs?.some((j) => !isTerminal(j.status)) ? 1000 : false;
