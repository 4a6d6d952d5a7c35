/**
 * What can follow a training: Resume (failed or cancelled, from its newest checkpoint), Continue
 * (completed: N more steps from its LoRA) and "Train again with these settings" (any job). The
 * server has the last word; a refusal shows its sentence.
 */
import { useState } from 'react';
import type { JobRecord } from '../../shared/jobs.js';
import { useInfo } from '../hooks/use-info.js';
import { Link, useRouter } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { DynamicControl } from './DynamicControl.js';
import { ErrorBox } from './ui.js';

export function TrainingActions({ job }: { job: JobRecord }) {
  const { navigate } = useRouter();
  const utils = trpc.useUtils();
  const info = useInfo();
  const onStarted = (next: JobRecord) => {
    void utils.training.list.invalidate();
    navigate(`/training/${next.id}`);
  };
  const resume = trpc.training.resume.useMutation({ onSuccess: onStarted });
  const cont = trpc.training.continue.useMutation({ onSuccess: onStarted });
  const stepsSchema = info.data?.training.parameters.steps;
  const [steps, setSteps] = useState<unknown>(undefined);
  const canResume = (job.status === 'failed' || job.status === 'cancelled') && !job.resumed_by;
  const canContinue = job.status === 'completed' && !!job.result_lora_id && !job.continued_by;

  return (
    <section className="card actions-card" aria-label="After this training">
      <div className="actions">
        {canResume && (
          <button type="button" disabled={resume.isPending} onClick={() => resume.mutate({ id: job.id })}>
            {resume.isPending ? 'Resuming…' : 'Resume'}
          </button>
        )}
        <button type="button" className="secondary" onClick={() => navigate(`/training?from=${encodeURIComponent(job.id)}`)}>
          Train again with these settings
        </button>
      </div>
      {canContinue && stepsSchema && (
        <form
          className="continue-form"
          onSubmit={(e) => {
            e.preventDefault();
            cont.mutate({ id: job.id, steps: (steps ?? stepsSchema.default) as number });
          }}
        >
          <DynamicControl name="steps" schema={stepsSchema} value={steps ?? stepsSchema.default} onChange={setSteps} />
          <button type="submit" disabled={cont.isPending}>
            {cont.isPending ? 'Starting…' : 'Continue'}
          </button>
        </form>
      )}
      <Lineage job={job} />
      <ErrorBox error={resume.error ?? cont.error} />
    </section>
  );
}

function Lineage({ job }: { job: JobRecord }) {
  const links: [string, string | undefined][] = [
    [`Resumed from step ${job.resume_step ?? '?'} of`, job.resumed_from],
    ['Resumed by', job.resumed_by],
    ['Continues', job.continued_from],
    ['Continued by', job.continued_by],
  ];
  const shown = links.filter((l): l is [string, string] => !!l[1]);
  if (shown.length === 0) return null;
  return (
    <ul className="lineage">
      {shown.map(([label, id]) => (
        <li key={label}>
          {label} <Link to={`/training/${id}`}>{id}</Link>
        </li>
      ))}
    </ul>
  );
}
