/**
 * An evaluation grid (issue #17): one tab per prompt, and under it checkpoint steps (rows) × LoRA
 * strengths (columns), with sticky headers on both axes and a zoom (cell size). Pending cells are
 * drawn as such and fill in as the grid is refetched. A click opens the cell in a dialog, where
 * "Use this" makes that checkpoint and strength the character's Generate default.
 */
import { useState, type KeyboardEvent } from 'react';
import type { EvaluationCell, EvaluationGrid as Grid, EvaluationRow } from '../../shared/evaluations.js';
import { jobFileUrl, type ThumbWidth } from '../lib/api.js';
import { formatStrength } from '../lib/format.js';
import { cellName, EvaluationCellDialog, type UseCell } from './EvaluationCellDialog.js';
import './evaluation.css';

export const ZOOM = { min: 96, max: 384, step: 32, initial: 160 } as const;
const ZOOM_KEY = 'isengard.evaluation.cell-size';

/** The 256 px thumbnail while it is not blown up; above that the 768 one. */
const thumbWidthFor = (size: number): ThumbWidth => (size * (globalThis.devicePixelRatio || 1) <= 256 ? 256 : 768);

function savedZoom(): number {
  const n = Number(globalThis.localStorage?.getItem(ZOOM_KEY));
  return Number.isFinite(n) && n >= ZOOM.min && n <= ZOOM.max ? n : ZOOM.initial;
}

/** Rows in step order, the final LoRA last. */
export function orderedRows(rows: readonly EvaluationRow[]): EvaluationRow[] {
  return [...rows].sort((a, b) => Number(a.final) - Number(b.final) || a.step - b.step);
}

export function countImages(grid: Grid): { done: number; total: number } {
  const cells = grid.rows.flatMap((r) => r.cells);
  return { done: cells.filter((c) => c.image !== null).length, total: cells.length };
}

export interface EvaluationGridProps {
  grid: Grid;
  /** "Use this" on the open cell; resolves to the updated character. */
  onUse: UseCell;
}

export function EvaluationGrid({ grid, onUse }: EvaluationGridProps) {
  const [tab, setTab] = useState(0);
  const [size, setSize] = useState(savedZoom);
  const [open, setOpen] = useState<{ step: number; final: boolean; strength: number; prompt: number } | null>(null);
  const prompt = Math.min(tab, Math.max(0, grid.prompts.length - 1));
  const rows = orderedRows(grid.rows);
  const { done, total } = countImages(grid);
  const thumb = thumbWidthFor(size);

  const zoom = (n: number) => {
    setSize(n);
    try {
      globalThis.localStorage?.setItem(ZOOM_KEY, String(n));
    } catch {
      // storage may be full or disabled: the zoom still applies to this view
    }
  };
  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  const onTabKey = (e: KeyboardEvent<HTMLButtonElement>) => {
    const n = grid.prompts.length;
    const next = e.key === 'ArrowRight' ? (prompt + 1) % n : e.key === 'ArrowLeft' ? (prompt - 1 + n) % n : null;
    if (next === null) return;
    e.preventDefault();
    setTab(next);
    document.getElementById(`eval-tab-${next}`)?.focus();
  };
  // The dialog follows the live grid: a cell that was pending when opened cannot be, but its row may be refreshed.
  const openRow = open && grid.rows.find((r) => r.step === open.step && r.final === open.final);
  const openCell = open && openRow?.cells.find((c) => c.strength === open.strength && c.prompt_index === open.prompt);

  return (
    <div className="eval">
      <div className="eval-toolbar">
        <div role="tablist" aria-label="Prompts" className="eval-tabs">
          {grid.prompts.map((p, i) => (
            <button
              key={i}
              id={`eval-tab-${i}`}
              type="button"
              role="tab"
              aria-selected={i === prompt}
              aria-controls="eval-panel"
              tabIndex={i === prompt ? 0 : -1}
              className={i === prompt ? 'chip active' : 'chip'}
              title={p}
              onClick={() => setTab(i)}
              onKeyDown={onTabKey}
            >
              Prompt {i + 1}
            </button>
          ))}
        </div>
        <div className="eval-zoom">
          <label htmlFor="eval-zoom">Cell size</label>
          <input id="eval-zoom" type="range" min={ZOOM.min} max={ZOOM.max} step={ZOOM.step} value={size} onChange={(e) => zoom(Number(e.target.value))} />
          <span className="mono" aria-hidden="true">
            {size}px
          </span>
        </div>
        <span className="muted small">
          {done} / {total} images
        </span>
      </div>
      <div id="eval-panel" role="tabpanel" aria-labelledby={`eval-tab-${prompt}`}>
        <p className="eval-prompt">
          <span className="prompt">{grid.prompts[prompt] ?? ''}</span> <span className="muted small mono">seed {grid.seeds[prompt] ?? '—'}</span>
        </p>
        {rows.length === 0 ? (
          <p className="empty">Rows appear as checkpoints are evaluated.</p>
        ) : (
          <div className="eval-scroll" role="region" aria-label="Evaluation grid" tabIndex={0} style={{ ['--cell' as string]: `${size}px` }}>
            <table className="eval-grid">
              <thead>
                <tr>
                  <th scope="col" className="eval-corner">
                    Step \ strength
                  </th>
                  {grid.strengths.map((s) => (
                    <th key={s} scope="col">
                      {formatStrength(s)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={`${row.step}-${row.final}`}>
                    <th scope="row">
                      {row.final ? (
                        <>
                          Final <span className="muted small">step {row.step}</span>
                        </>
                      ) : (
                        row.step
                      )}
                    </th>
                    {grid.strengths.map((s) => {
                      const cell = row.cells.find((c) => c.strength === s && c.prompt_index === prompt);
                      return (
                        <td key={s}>
                          <Cell jobId={grid.id} row={row} strength={s} cell={cell} thumb={thumb} onOpen={() => setOpen({ step: row.step, final: row.final, strength: s, prompt })} />
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {open && openRow && openCell?.image && (
        <EvaluationCellDialog grid={grid} row={openRow} cell={openCell} image={openCell.image} onUse={onUse} onClose={() => setOpen(null)} />
      )}
    </div>
  );
}

function Cell(props: { jobId: string; row: EvaluationRow; strength: number; cell: EvaluationCell | undefined; thumb: ThumbWidth; onOpen: () => void }) {
  const { row, strength, cell } = props;
  const name = cellName(row.step, strength);
  if (cell?.image) {
    return (
      <button type="button" className="eval-cell" aria-label={name} onClick={props.onOpen}>
        <img src={jobFileUrl(props.jobId, cell.image, props.thumb)} alt="" loading="lazy" />
      </button>
    );
  }
  if (cell?.error) {
    // A failed render, or a cell a cancelled or failed job never reached: the reason is the title.
    return (
      <button type="button" className="eval-cell failed" aria-label={`${name}, not rendered`} title={cell.error} disabled>
        not rendered
      </button>
    );
  }
  // Not rendered yet (or not even queued: a row can arrive before its cells are listed).
  return (
    <button type="button" className="eval-cell pending" aria-label={`${name}, pending`} disabled>
      <span className="spinner" aria-hidden="true" />
    </button>
  );
}
