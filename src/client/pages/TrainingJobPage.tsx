/**
 * One training job, live: progress, loss chart, samples (prompt × step), checkpoints, its
 * evaluation grids and Evaluate, log, cancel; once finished, Resume / Continue / Train again.
 */
import type { JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { JobHeader } from '../components/JobHeader.js';
import { LogViewer } from '../components/LogViewer.js';
import { LossChart } from '../components/LossChart.js';
import { CheckpointList } from '../components/CheckpointList.js';
import { SamplesGrid } from '../components/SamplesGrid.js';
import { TrainingActions } from '../components/TrainingActions.js';
import { TrainingEvaluations } from '../components/TrainingEvaluations.js';
import { ConfigList, ErrorBox, Loading, ProgressBar } from '../components/ui.js';
import { mergePoints, useJobUpdates } from '../hooks/use-job-updates.js';
import { lossPointsFromLog, useLogFollow } from '../hooks/use-log-follow.js';
import { formatDuration, formatLoss, formatTime } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';

function Stats({ job }: { job: JobRecord }) {
  const rows: [string, string][] = [
    ['Step', job.current_step !== undefined ? `${job.current_step} / ${job.total_steps ?? '?'}` : '—'],
    ['Speed', job.it_per_sec !== undefined ? `${job.it_per_sec} it/s` : '—'],
    ['ETA', isTerminal(job.status) ? '—' : formatDuration(job.eta_seconds)],
    ['Loss', formatLoss(job.loss)],
  ];
  return (
    <dl className="stats">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

export function TrainingJobPage({ jobId }: { jobId: string }) {
  const utils = trpc.useUtils();
  const { record: job, points, error } = useJobUpdates(jobId, (r) => {
    if (isTerminal(r.status)) void utils.training.list.invalidate();
  });
  const log = useLogFollow(jobId);
  const character = trpc.characters.get.useQuery({ id: job?.character_id ?? '' }, { enabled: !!job?.character_id, retry: false });

  if (error && !job) return <ErrorBox error={error} />;
  if (!job) return <Loading what="job" />;
  const chartPoints = mergePoints(lossPointsFromLog(log.lines), points);

  return (
    <div className="page">
      <p className="crumbs">
        <Link to="/training">← Training</Link>
      </p>
      <JobHeader job={job} title={`Training ${character.data ? `“${character.data.name}”` : ''}`} />
      <section className="card" aria-label="Progress">
        <ProgressBar value={job.progress} label="Training progress" />
        <Stats job={job} />
        {job.message && <p className="muted">{job.message}</p>}
        {job.error && <p className="field-error">{job.error}</p>}
        {job.result_lora_id && (
          <p>
            LoRA ready: <span className="mono">{job.result_lora_id}</span> ·{' '}
            <Link to={`/generate?lora=${encodeURIComponent(job.result_lora_id)}`}>Generate with it</Link>
          </p>
        )}
      </section>
      <div className="two-col">
        <section className="card" aria-labelledby="loss-title">
          <h2 id="loss-title">Loss</h2>
          <LossChart points={chartPoints} totalSteps={job.total_steps} />
        </section>
        <section className="card" aria-labelledby="config-title">
          <h2 id="config-title">Configuration</h2>
          <ConfigList config={job.config} />
          <p className="muted small">
            Created {formatTime(job.created_at)}
            {job.finished_at && ` · finished ${formatTime(job.finished_at)}`}
          </p>
        </section>
      </div>
      {isTerminal(job.status) && <TrainingActions job={job} />}
      <section className="card" aria-labelledby="samples-title">
        <h2 id="samples-title">Samples</h2>
        <SamplesGrid jobId={job.id} outputs={job.outputs} prompts={job.sample_prompts} />
      </section>
      <section className="card" aria-labelledby="checkpoints-title">
        <h2 id="checkpoints-title">Checkpoints</h2>
        <CheckpointList job={job} />
      </section>
      <section className="card" aria-labelledby="evaluations-title">
        <h2 id="evaluations-title">Evaluations</h2>
        <TrainingEvaluations job={job} />
      </section>
      <section className="card" aria-labelledby="log-title">
        <h2 id="log-title">Log</h2>
        <LogViewer log={log} />
      </section>
    </div>
  );
}
