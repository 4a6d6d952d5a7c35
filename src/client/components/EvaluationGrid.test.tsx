// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import type { EvaluationGrid as Grid } from '../../shared/evaluations.js';
import { RouterProvider } from '../lib/router.js';
import { EvaluationGrid } from './EvaluationGrid.js';

afterEach(cleanup);
beforeEach(() => localStorage.clear());

const JOB = 'evaluation-0123456789ab';
const STRENGTHS = [0.6, 0.8, 1];

/** Rows 500 and 250 (listed out of order) and the final LoRA; `pending` holds the cells not rendered yet. */
function fixture(pending: (step: number, strength: number, prompt: number) => boolean): Grid {
  const row = (step: number, final: boolean) => ({
    step,
    final,
    // As the server sends them: a checkpoint row has no LoRA until "Use this" registers one.
    lora_id: final ? 'lora-000000001000' : null,
    cells: [0, 1].flatMap((p) =>
      STRENGTHS.map((strength) => ({
        strength,
        prompt_index: p,
        seed: 4000 + p,
        image: pending(step, strength, p) ? null : `eval_${step}_${strength}_${p}.png`,
      })),
    ),
  });
  return {
    id: JOB,
    training_id: 'training-0123456789ab',
    character_id: 'char-0123456789ab',
    status: 'running',
    strengths: STRENGTHS,
    prompts: ['ada_person at the sea', 'ada_person reading'],
    seeds: [4000, 4001],
    live: false,
    width: 1024,
    height: 1024,
    steps: 20,
    rows: [row(1000, true), row(500, false), row(250, false)],
  };
}

const names = (els: HTMLElement[]) => els.map((e) => e.getAttribute('aria-label'));

describe('EvaluationGrid', () => {
  it('rows by step (final last) × strength columns for the chosen prompt tab; pending cells are disabled', async () => {
    const grid = fixture((step, strength) => step === 1000 && strength > 0.6);
    render(<EvaluationGrid grid={grid} onUse={vi.fn()} />);
    const region = screen.getByRole('region', { name: 'Evaluation grid' });
    expect(within(region).getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Step \\ strength', '0.6', '0.8', '1.0']);
    expect(within(region).getAllByRole('rowheader').map((h) => h.textContent)).toEqual(['250', '500', 'Final step 1000']);
    expect(names(within(region).getAllByRole('button'))).toEqual([
      'Step 250, strength 0.6', 'Step 250, strength 0.8', 'Step 250, strength 1.0',
      'Step 500, strength 0.6', 'Step 500, strength 0.8', 'Step 500, strength 1.0',
      'Step 1000, strength 0.6', 'Step 1000, strength 0.8, pending', 'Step 1000, strength 1.0, pending',
    ]);
    expect((screen.getByRole('button', { name: 'Step 1000, strength 0.8, pending' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('14 / 18 images')).toBeTruthy();

    const tabs = screen.getAllByRole('tab');
    expect(tabs.map((t) => [t.textContent, t.getAttribute('aria-selected')])).toEqual([['Prompt 1', 'true'], ['Prompt 2', 'false']]);
    const img = () => screen.getByRole('button', { name: 'Step 500, strength 0.8' }).querySelector('img')!.getAttribute('src');
    expect(img()).toBe(`/api/jobs/${JOB}/files/eval_500_0.8_0.png?w=256`);
    await userEvent.click(screen.getByRole('tab', { name: 'Prompt 2' }));
    expect(screen.getByRole('tabpanel').textContent).toContain('ada_person reading');
    expect(img()).toBe(`/api/jobs/${JOB}/files/eval_500_0.8_1.png?w=256`);
    // Keyboard: arrows move between tabs.
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByRole('tab', { name: 'Prompt 1' }).getAttribute('aria-selected')).toBe('true');
  });

  it('fills pending cells when the grid is refetched', () => {
    const { rerender } = render(<EvaluationGrid grid={fixture(() => true)} onUse={vi.fn()} />);
    expect(screen.queryByRole('button', { name: 'Step 250, strength 0.6' })).toBeNull();
    expect(screen.getByText('0 / 18 images')).toBeTruthy();
    rerender(<EvaluationGrid grid={fixture((step) => step !== 250)} onUse={vi.fn()} />);
    expect((screen.getByRole('button', { name: 'Step 250, strength 0.6' }) as HTMLButtonElement).disabled).toBe(false);
    expect(screen.getByText('6 / 18 images')).toBeTruthy();
  });

  it('a cancelled grid keeps its finished cells; the rest say they will not be rendered, and why', () => {
    const grid = fixture((step) => step === 1000);
    grid.status = 'cancelled';
    for (const c of grid.rows[0]!.cells) c.error = 'Not rendered: the evaluation was cancelled';
    render(<EvaluationGrid grid={grid} onUse={vi.fn()} />);
    expect((screen.getByRole('button', { name: 'Step 500, strength 1.0' }) as HTMLButtonElement).disabled).toBe(false);
    const stopped = screen.getByRole('button', { name: 'Step 1000, strength 1.0, not rendered' }) as HTMLButtonElement;
    expect([stopped.disabled, stopped.title]).toEqual([true, 'Not rendered: the evaluation was cancelled']);
  });

  it('zoom sets the cell size and switches to the large thumbnail; it is remembered', async () => {
    const grid = fixture(() => false);
    render(<EvaluationGrid grid={grid} onUse={vi.fn()} />);
    const zoom = screen.getByLabelText('Cell size') as HTMLInputElement;
    const region = screen.getByRole('region', { name: 'Evaluation grid' });
    expect(region.style.getPropertyValue('--cell')).toBe('160px');
    fireEvent.change(zoom, { target: { value: '384' } });
    expect(region.style.getPropertyValue('--cell')).toBe('384px');
    expect(screen.getByRole('button', { name: 'Step 250, strength 1.0' }).querySelector('img')!.getAttribute('src')).toMatch(/\?w=768$/);
    cleanup();
    render(<EvaluationGrid grid={grid} onUse={vi.fn()} />);
    expect((screen.getByLabelText('Cell size') as HTMLInputElement).value).toBe('384');
  });

  it('a click opens the full image with seed, strength and step; "Use this" stores it and links to Generate', async () => {
    const grid = fixture(() => false);
    const onUse = vi.fn().mockResolvedValue({ id: 'char-0123456789ab', name: 'Ada', generation_defaults: { lora_id: 'lora-0000000005a0', strength: 0.8 } });
    render(
      <RouterProvider>
        <EvaluationGrid grid={grid} onUse={onUse} />
      </RouterProvider>,
    );
    await userEvent.click(screen.getByRole('tab', { name: 'Prompt 2' }));
    await userEvent.click(screen.getByRole('button', { name: 'Step 500, strength 0.8' }));
    const dialog = screen.getByRole('dialog', { name: 'Step 500, strength 0.8' });
    const full = within(dialog).getByRole('img');
    expect(full.getAttribute('src')).toBe(`/api/jobs/${JOB}/files/eval_500_0.8_1.png`);
    expect(full.getAttribute('alt')).toBe('Step 500, strength 0.8: ada_person reading');
    const facts = Object.fromEntries([...dialog.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling!.textContent]));
    expect(facts).toEqual({ Checkpoint: 'step 500', Strength: '0.8', Seed: '4001', Prompt: 'ada_person reading' });

    await userEvent.click(within(dialog).getByRole('button', { name: 'Use this' }));
    expect(onUse).toHaveBeenCalledWith({ step: 500, strength: 0.8 });
    const link = await within(dialog).findByRole('link', { name: 'Open Generate' });
    expect(link.getAttribute('href')).toBe('/generate?character=char-0123456789ab');
    expect(within(dialog).getByRole('status').textContent).toContain('Ada’s images with this checkpoint at strength 0.8');

    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('a refetch while the dialog is open keeps focus where the user put it; closing returns it to the cell', async () => {
    const grid = fixture((step) => step === 1000);
    const { rerender } = render(<EvaluationGrid grid={grid} onUse={vi.fn()} />);
    const cell = screen.getByRole('button', { name: 'Step 250, strength 0.6' });
    await userEvent.click(cell);
    const dialog = screen.getByRole('dialog', { name: 'Step 250, strength 0.6' });
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Close' }));
    within(dialog).getByRole('button', { name: 'Use this' }).focus();
    rerender(<EvaluationGrid grid={fixture(() => false)} onUse={vi.fn()} />);
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Use this' }));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Close' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Step 250, strength 0.6' }));
  });

  it('a refused "Use this" shows the server sentence and keeps the dialog open', async () => {
    const onUse = vi.fn().mockRejectedValue(new Error("Evaluation 'evaluation-0123456789ab' has no row at step 500"));
    render(<EvaluationGrid grid={fixture(() => false)} onUse={onUse} />);
    await userEvent.click(screen.getByRole('button', { name: 'Step 1000, strength 1.0' }));
    const dialog = screen.getByRole('dialog', { name: 'Step 1000, strength 1.0' });
    expect(within(dialog).getByText('final LoRA · step 1000')).toBeTruthy();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Use this' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('has no row at step 500');
  });
});
