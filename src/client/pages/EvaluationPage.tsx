/**
 * One evaluation (issue #17): the checkpoint × strength × prompt grid, filled in live. The job's
 * record comes over the same live subscription as any job (progress, Cancel, Download Logs); each
 * change to it refetches the grid, and a slow poll covers a dropped subscription.
 */
import { isTerminal } from '../../shared/jobs.js';
import { EvaluationGrid } from '../components/EvaluationGrid.js';
import type { UseCell } from '../components/EvaluationCellDialog.js';
import { JobHeader } from '../components/JobHeader.js';
import { ErrorBox, Loading, ProgressBar } from '../components/ui.js';
import { useJobUpdates } from '../hooks/use-job-updates.js';
import { Link } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';

/** While the job runs: the subscription drives refetches; this only catches what it missed. */
const FALLBACK_POLL_MS = 3000;

export function EvaluationPage({ id }: { id: string }) {
  const utils = trpc.useUtils();
  const { record: job } = useJobUpdates(id, () => void utils.evaluations.get.invalidate({ id }));
  const grid = trpc.evaluations.get.useQuery(
    { id },
    { refetchInterval: (q) => (q.state.data && isTerminal(q.state.data.status) ? false : FALLBACK_POLL_MS), retry: false },
  );
  const character = trpc.characters.get.useQuery({ id: grid.data?.character_id ?? '' }, { enabled: !!grid.data?.character_id, retry: false });
  const use = trpc.evaluations.use.useMutation({
    onSuccess: (updated) => {
      utils.characters.get.setData({ id: updated.id }, updated);
      void utils.characters.list.invalidate();
      // A checkpoint's first "Use this" registers a LoRA (the row's lora_id) that Generate must list.
      void utils.loras.list.invalidate();
      void utils.evaluations.get.invalidate({ id });
    },
  });
  const onUse: UseCell = (pick) => use.mutateAsync({ id, ...pick });

  if (grid.error && !grid.data) return <ErrorBox error={grid.error} onRetry={() => void grid.refetch()} />;
  if (!grid.data) return <Loading what="evaluation" />;
  const data = grid.data;
  const name = character.data ? ` “${character.data.name}”` : '';

  return (
    <div className="page">
      <p className="crumbs">
        <Link to={`/training/${data.training_id}`}>← Training {data.training_id}</Link>
      </p>
      {job ? (
        <JobHeader job={job} title={`Evaluation${name}`} />
      ) : (
        <header className="job-header">
          <h1>Evaluation{name}</h1>
        </header>
      )}
      <section className="card" aria-label="Progress">
        {job && !isTerminal(job.status) && <ProgressBar value={job.progress} label="Evaluation progress" />}
        {job?.message && <p className="muted">{job.message}</p>}
        {job?.error && <p className="field-error">{job.error}</p>}
        {data.live && !isTerminal(data.status) && <p className="muted small">Live: each new checkpoint of the training adds a row.</p>}
        {data.width && data.height && data.steps && (
          <p className="muted small">
            Each image: flux-dev, {data.width} × {data.height} px, {data.steps} steps.
          </p>
        )}
        {character.data?.generation_defaults && (
          <p className="muted small">
            Generate default for {character.data.name}: <span className="mono">{character.data.generation_defaults.lora_id}</span> at strength{' '}
            {character.data.generation_defaults.strength}.
          </p>
        )}
      </section>
      <section className="card" aria-labelledby="eval-title">
        <h2 id="eval-title">Checkpoints × strengths</h2>
        <EvaluationGrid grid={data} onUse={onUse} />
      </section>
    </div>
  );
}
