/** Generation results: one card per job (live progress while running) and a full-size viewer. */
import { useEffect, useState } from 'react';
import type { JobOutput, JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { useJobUpdates } from '../hooks/use-job-updates.js';
import { jobFileUrl } from '../lib/api.js';
import { formatTime } from '../lib/format.js';
import { JobActions } from './JobHeader.js';
import { jobSummary } from './JobList.js';
import { ProgressBar, StatusBadge } from './ui.js';

export interface Opened {
  job: JobRecord;
  output: JobOutput;
}

function Lightbox({ opened, onClose }: { opened: Opened; onClose: () => void }) {
  const { job, output } = opened;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const url = jobFileUrl(job.id, output.name);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label="Full size image" onClick={onClose}>
      <figure onClick={(e) => e.stopPropagation()}>
        <img src={url} alt={`Full size, seed ${output.seed ?? '?'}`} className="full-image" />
        <figcaption>
          <span>
            Seed <span className="mono">{output.seed ?? '—'}</span>
          </span>
          <span>
            {output.width}×{output.height}
          </span>
          <a href={url} target="_blank" rel="noreferrer">
            Open original
          </a>
          <button type="button" className="secondary" onClick={onClose}>
            Close
          </button>
        </figcaption>
      </figure>
    </div>
  );
}

function JobCard({ job: listed, onOpen, onFinished }: { job: JobRecord; onOpen: (o: Opened) => void; onFinished: () => void }) {
  const live = useJobUpdates(isTerminal(listed.status) ? null : listed.id, (r) => isTerminal(r.status) && onFinished());
  const job = live.record && live.record.rev >= listed.rev ? live.record : listed;
  const images = job.outputs.filter((o) => o.kind === 'image');
  return (
    <article className="card gen-card" aria-label={`Generation ${job.id}`}>
      <header className="gen-card-head">
        <p className="prompt">{jobSummary(job)}</p>
        <StatusBadge status={job.status} />
      </header>
      <p className="muted small">
        {formatTime(job.created_at)} · {String(job.config.width)}×{String(job.config.height)} · seed {String(job.config.seed)}
        {job.config.use_upscale === true && ' · upscaled'}
      </p>
      {!isTerminal(job.status) && (
        <>
          <ProgressBar value={job.progress} label={`${job.id} progress`} />
          {job.message && <p className="muted small">{job.message}</p>}
        </>
      )}
      {job.error && <p className="field-error">{job.error}</p>}
      <div className="thumbs">
        {images.map((o) => (
          <button key={o.name} type="button" className="thumb" onClick={() => onOpen({ job, output: o })} aria-label={`Open image seed ${o.seed ?? ''}`}>
            <img src={jobFileUrl(job.id, o.name, 256)} alt={`Seed ${o.seed ?? ''}, ${o.width}×${o.height}`} loading="lazy" />
            <span className="thumb-caption">
              seed {o.seed} · {o.width}×{o.height}
            </span>
          </button>
        ))}
      </div>
      <JobActions job={job} />
    </article>
  );
}

export function Gallery({ jobs, onFinished }: { jobs: readonly JobRecord[]; onFinished: () => void }) {
  const [opened, setOpened] = useState<Opened | null>(null);
  return (
    <>
      <div className="gallery">
        {jobs.map((job) => (
          <JobCard key={job.id} job={job} onOpen={setOpened} onFinished={onFinished} />
        ))}
      </div>
      {opened && <Lightbox opened={opened} onClose={() => setOpened(null)} />}
    </>
  );
}
