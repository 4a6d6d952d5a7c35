/** A training's checkpoints: download, "Use for generation" (a LoRA made from it), delete once finished. */
import type { JobRecord } from '../../shared/jobs.js';
import { isTerminal } from '../../shared/jobs.js';
import { jobFileUrl } from '../lib/api.js';
import { useRouter } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox } from './ui.js';

export function CheckpointList({ job }: { job: JobRecord }) {
  const { navigate } = useRouter();
  const utils = trpc.useUtils();
  const use = trpc.loras.fromCheckpoint.useMutation({
    onSuccess: (lora) => {
      void utils.loras.list.invalidate();
      navigate(`/generate?lora=${encodeURIComponent(lora.id)}`);
    },
  });
  const remove = trpc.training.deleteCheckpoint.useMutation({ onSuccess: () => void utils.training.get.invalidate({ id: job.id }) });
  const checkpoints = job.outputs.filter((o) => o.kind === 'checkpoint').sort((a, b) => (b.step ?? 0) - (a.step ?? 0));
  const lora = job.outputs.find((o) => o.kind === 'lora');
  if (checkpoints.length === 0 && !lora) return <p className="empty">Checkpoints appear at each save point.</p>;
  return (
    <>
      <ul className="checkpoints" aria-label="Checkpoints">
        {lora && (
          <li>
            <span>Final LoRA · step {lora.step}</span>
            <a href={jobFileUrl(job.id, lora.name)} download>
              Download
            </a>
          </li>
        )}
        {checkpoints.map((o) => (
          <li key={o.name}>
            <span>Step {o.step}</span>
            <a href={jobFileUrl(job.id, o.name)} download aria-label={`Download checkpoint at step ${o.step}`}>
              Download
            </a>
            <button type="button" className="secondary" disabled={use.isPending} onClick={() => use.mutate({ job_id: job.id, step: o.step! })} aria-label={`Use checkpoint at step ${o.step} for generation`}>
              Use for generation
            </button>
            {isTerminal(job.status) && (
              <button type="button" className="danger" disabled={remove.isPending} onClick={() => remove.mutate({ job_id: job.id, step: o.step! })} aria-label={`Delete checkpoint at step ${o.step}`}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      <ErrorBox error={use.error ?? remove.error} />
    </>
  );
}
