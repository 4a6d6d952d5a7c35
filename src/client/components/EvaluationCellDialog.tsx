/**
 * One evaluation cell, large: the full image with its checkpoint step, strength, seed and prompt.
 * "Use this" stores that checkpoint's LoRA and the strength as the character's Generate default
 * (evaluations.use); Generate then opens prefilled from the stored default, so a later visit gets
 * it too, not only this link.
 */
import { useEffect, useRef, useState } from 'react';
import type { Character } from '../../shared/characters.js';
import type { EvaluationCell, EvaluationGrid, EvaluationRow } from '../../shared/evaluations.js';
import { jobFileUrl } from '../lib/api.js';
import { formatStrength as fmt } from '../lib/format.js';
import { generateWithDefaultsUrl } from '../lib/generate-prefill.js';
import { Link } from '../lib/router.js';
import { ErrorBox } from './ui.js';

export type UseCell = (pick: { step: number; strength: number }) => Promise<Pick<Character, 'id' | 'name' | 'generation_defaults'>>;

/** The accessible name of a grid cell and the dialog's title (docs/contracts.md): "Step 500, strength 0.8". */
export const cellName = (step: number, strength: number) => `Step ${step}, strength ${fmt(strength)}`;

export function EvaluationCellDialog(props: { grid: EvaluationGrid; row: EvaluationRow; cell: EvaluationCell; image: string; onUse: UseCell; onClose: () => void }) {
  const { grid, row, cell, image, onClose } = props;
  const [use, setUse] = useState<{ pending: boolean; error: unknown; done: Awaited<ReturnType<UseCell>> | null }>({ pending: false, error: null, done: null });
  const close = useRef<HTMLButtonElement>(null);
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  // Once per opening: the live grid re-renders this dialog on every refetch, which must not move focus.
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onCloseRef.current();
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      opener?.focus?.(); // back to the cell that opened it
    };
  }, []);

  const title = cellName(row.step, cell.strength);
  const prompt = grid.prompts[cell.prompt_index] ?? '';
  const url = jobFileUrl(grid.id, image);
  const choose = async () => {
    setUse({ pending: true, error: null, done: null });
    try {
      setUse({ pending: false, error: null, done: await props.onUse({ step: row.step, strength: cell.strength }) });
    } catch (error) {
      setUse({ pending: false, error, done: null });
    }
  };

  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={title} onClick={onClose}>
      <figure className="eval-figure" onClick={(e) => e.stopPropagation()}>
        <img src={url} alt={`${title}: ${prompt}`} className="full-image" />
        <figcaption>
          <dl className="eval-facts">
            <div>
              <dt>Checkpoint</dt>
              <dd>{row.final ? `final LoRA · step ${row.step}` : `step ${row.step}`}</dd>
            </div>
            <div>
              <dt>Strength</dt>
              <dd>{fmt(cell.strength)}</dd>
            </div>
            <div>
              <dt>Seed</dt>
              <dd className="mono">{cell.seed}</dd>
            </div>
            <div>
              <dt>Prompt</dt>
              <dd>{prompt}</dd>
            </div>
          </dl>
          <div className="actions">
            {/* A checkpoint row has no LoRA until the first "Use this" registers one: the server does that. */}
            <button type="button" onClick={() => void choose()} disabled={use.pending}>
              {use.pending ? 'Saving…' : 'Use this'}
            </button>
            <a className="button secondary" href={url} target="_blank" rel="noreferrer">
              Open original
            </a>
            <button ref={close} type="button" className="secondary" onClick={onClose}>
              Close
            </button>
          </div>
          {use.done && (
            <p role="status">
              Generate now starts {use.done.name}’s images with this checkpoint at strength {fmt(use.done.generation_defaults?.strength ?? cell.strength)}.{' '}
              <Link to={generateWithDefaultsUrl(use.done.id)}>Open Generate</Link>
            </p>
          )}
          <ErrorBox error={use.error} />
        </figcaption>
      </figure>
    </div>
  );
}
