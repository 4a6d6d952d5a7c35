/**
 * Caption jobs for one character: "Caption missing" / "Caption all" (the mode's options), the other
 * options drawn from the captioning manifest in /api/info, and while a job runs its progress, Cancel,
 * and the captions filling in on the cards as each image finishes (every job update refetches the
 * character). "Caption all" overwrites the user's captions, so it asks first.
 */
import { useEffect, useRef, useState } from 'react';
import type { Character } from '../../shared/characters.js';
import { captionSourceOf, selectForCaptioning, type CaptionMode } from '../../shared/captions.js';
import { isTerminal } from '../../shared/jobs.js';
import { useInfo } from '../hooks/use-info.js';
import { useJobUpdates } from '../hooks/use-job-updates.js';
import { issueMap, unclaimedIssues } from '../lib/errors.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { DynamicControl } from './DynamicControl.js';
import { JobActions } from './JobHeader.js';
import { ErrorBox, ProgressBar, StatusBadge } from './ui.js';

/** The procedure's own field: drawn as one button per option rather than as a control. */
const MODE = 'mode';

function OverwriteDialog({ count, onConfirm, onClose, pending }: { count: number; onConfirm: () => void; onClose: () => void; pending: boolean }) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    keep.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-labelledby="overwrite-title">
      <div className="card purge-dialog">
        <h2 id="overwrite-title">Overwrite every caption?</h2>
        <p>
          Every image gets a new machine caption.{' '}
          {count > 0 ? `${count} caption${count === 1 ? '' : 's'} you wrote or edited will be replaced.` : 'None of them was written by you.'}
        </p>
        <div className="actions">
          <button type="button" className="danger" disabled={pending} onClick={onConfirm}>
            Overwrite all captions
          </button>
          <button ref={keep} type="button" className="secondary" onClick={onClose}>
            Keep my captions
          </button>
        </div>
      </div>
    </div>
  );
}

export function CaptionJobPanel({ character }: { character: Character }) {
  const utils = trpc.useUtils();
  const caps = useInfo().data?.captioning;
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [started, setStarted] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  // A caption job already under way for this character (another tab, a reload): follow it too.
  const latest = trpc.jobs.list.useQuery({ type: 'caption', character_id: character.id, limit: 1 }, { enabled: started === null });
  const running = latest.data?.items[0];
  const jobId = started ?? (running && !isTerminal(running.status) ? running.id : null);
  const { record } = useJobUpdates(jobId, () => void utils.characters.invalidate());
  const start = trpc.characters.caption.useMutation({
    onSuccess: ({ job_id }) => {
      setStarted(job_id);
      setConfirming(false);
    },
  });
  if (!caps || character.images.length === 0) return null;

  const modeSchema = caps.parameters[MODE];
  const modes = (modeSchema?.type === 'enum' ? modeSchema.options : []) as CaptionMode[];
  const options = Object.entries(caps.parameters).filter(([k]) => k !== MODE);
  const value = (k: string) => values[k] ?? caps.parameters[k]?.default;
  const active = record !== null && !isTerminal(record.status);
  const missing = selectForCaptioning(character.images, 'missing', character.trigger_word).length;
  const yours = character.images.filter((i) => captionSourceOf(i)?.kind === 'user').length;
  const issues = issueMap(start.error);
  const run = (mode: CaptionMode) =>
    start.mutate({ id: character.id, mode, ...(Object.fromEntries(options.map(([k]) => [k, value(k)])) as { style: 'short' | 'detailed'; trigger: 'prefix' | 'none' }) });

  return (
    <section className="caption-job" aria-labelledby={`caption-job-${character.id}`}>
      <h3 id={`caption-job-${character.id}`}>Automatic captions</h3>
      <p className="hint">
        {caps.model} ({caps.backend}) · {missing} of {character.images.length} image{character.images.length === 1 ? '' : 's'} without a caption
      </p>
      <div className="grid-fields">
        {options.map(([k, p]) => (
          <DynamicControl key={k} name={k} schema={p} value={value(k)} onChange={(v) => setValues((prev) => ({ ...prev, [k]: v }))} disabled={active} error={issues[k]} />
        ))}
      </div>
      <ErrorBox error={start.error} issues={unclaimedIssues(start.error, options.map(([k]) => k))} />
      <div className="row">
        {modes.map((mode) => (
          <button
            key={mode}
            type="button"
            className={mode === 'all' ? 'secondary' : undefined}
            disabled={active || start.isPending || (mode === 'missing' && missing === 0)}
            onClick={() => (mode === 'all' ? setConfirming(true) : run(mode))}
          >
            Caption {mode}
          </button>
        ))}
      </div>
      {confirming && <OverwriteDialog count={yours} pending={start.isPending} onConfirm={() => run('all')} onClose={() => setConfirming(false)} />}
      {record && (
        <div className="caption-job-status">
          <p className="row">
            <Link to={`/jobs/${record.id}`} className="mono small">
              {record.id}
            </Link>
            <StatusBadge status={record.status} />
            {record.message && <span className="muted small">{record.message}</span>}
          </p>
          <ProgressBar value={record.progress} label="Caption progress" />
          {record.error && <p className="field-error">{record.error}</p>}
          <JobActions job={record} />
        </div>
      )}
    </section>
  );
}
