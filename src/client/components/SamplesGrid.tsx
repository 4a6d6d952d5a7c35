/**
 * Training samples as a grid: one column per sample prompt, one row per step, newest step first.
 * A click opens the sample large in a dialog (Escape or the Close button closes it).
 */
import { useEffect, useRef, useState } from 'react';
import type { JobOutput } from '../../shared/jobs.js';
import { jobFileUrl } from '../lib/api.js';

/** `sample_000000250_1.jpg` → 1: the prompt index ai-toolkit puts in the name. */
const promptIndex = (o: JobOutput) => Number(/_(\d+)\.[a-z]+$/.exec(o.name)?.[1] ?? 0);

export function samplesByStep(outputs: readonly JobOutput[]): [number, Map<number, JobOutput>][] {
  const rows = new Map<number, Map<number, JobOutput>>();
  for (const o of outputs) {
    if (o.kind !== 'sample') continue;
    const step = o.step ?? 0;
    const row = rows.get(step) ?? new Map<number, JobOutput>();
    row.set(promptIndex(o), o);
    rows.set(step, row);
  }
  return [...rows.entries()].sort((a, b) => b[0] - a[0]);
}

export function SamplesGrid({ jobId, outputs, prompts }: { jobId: string; outputs: readonly JobOutput[]; prompts?: readonly string[] }) {
  const [open, setOpen] = useState<{ output: JobOutput; prompt: string } | null>(null);
  const rows = samplesByStep(outputs);
  if (rows.length === 0) return <p className="empty">Samples appear at each sample step.</p>;
  const columns = Math.max(prompts?.length ?? 0, ...rows.map(([, r]) => Math.max(...r.keys()) + 1));
  const promptText = (i: number) => prompts?.[i] ?? `Prompt ${i + 1}`;
  return (
    <>
      <div className="samples-scroll">
        <table className="samples-grid" aria-label="Samples by prompt and step">
          <thead>
            <tr>
              <th scope="col">Step</th>
              {Array.from({ length: columns }, (_, i) => (
                <th key={i} scope="col" title={promptText(i)}>
                  {promptText(i)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(([step, row]) => (
              <tr key={step}>
                <th scope="row">{step}</th>
                {Array.from({ length: columns }, (_, i) => {
                  const o = row.get(i);
                  return (
                    <td key={i}>
                      {o && (
                        <button type="button" className="sample-thumb" onClick={() => setOpen({ output: o, prompt: promptText(i) })} aria-label={`Enlarge sample at step ${step}: ${promptText(i)}`}>
                          <img src={jobFileUrl(jobId, o.name, 256)} alt={`Sample at step ${step}: ${promptText(i)}`} loading="lazy" width={o.width} height={o.height} />
                        </button>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {open && <SampleDialog jobId={jobId} output={open.output} prompt={open.prompt} onClose={() => setOpen(null)} />}
    </>
  );
}

function SampleDialog({ jobId, output, prompt, onClose }: { jobId: string; output: JobOutput; prompt: string; onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={`Sample at step ${output.step ?? 0}`} onClick={onClose}>
      <figure onClick={(e) => e.stopPropagation()}>
        <img src={jobFileUrl(jobId, output.name)} alt={`Sample at step ${output.step ?? 0}: ${prompt}`} />
        <figcaption>
          Step {output.step ?? 0}
          {output.seed !== undefined ? ` · seed ${output.seed}` : ''} · {prompt}
        </figcaption>
        <button ref={close} type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </figure>
    </div>
  );
}
