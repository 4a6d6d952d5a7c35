// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, within } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import type { ParameterMap } from '../../shared/capabilities.js';
import type { Character } from '../../shared/characters.js';
import { mockTraining } from '../../shared/manifests.js';
import { TrainingForm } from './TrainingForm.js';

afterEach(cleanup);

const characters: Character[] = [
  { id: 'char-000000000001', name: 'Anna', trigger_word: 'ohwx_anna', created_at: '2024-01-01T00:00:00.000Z', images: [] },
];

const value = (label: string) => (screen.getByLabelText(label) as HTMLInputElement | HTMLSelectElement).value;

function setup(parameters: ParameterMap = mockTraining.parameters) {
  const onSubmit = vi.fn();
  const utils = render(<TrainingForm backend="mock" parameters={parameters} characters={characters} onSubmit={onSubmit} />);
  return { onSubmit, ...utils };
}

describe('TrainingForm presets', () => {
  it('applying "quality" sets the values ai-toolkit would use and notes the 4 it would not', async () => {
    const { onSubmit } = setup();
    expect(screen.queryByText(/preset params not supported/)).toBeNull();
    await userEvent.selectOptions(screen.getByLabelText('Preset'), 'quality');
    expect(screen.getByText('4 preset params not supported by current trainer')).toBeTruthy();
    expect(screen.getByText('Skipped: Learning Rate, Scheduler, Network Alpha, Gradient Accumulation')).toBeTruthy();
    expect(value('Steps')).toBe('2000');
    expect(value('Lora Rank')).toBe('32');
    expect(value('Optimizer')).toBe('prodigy');
    // cosine_with_restarts is unavailable (never restarts in ai-toolkit): the scheduler stays at its default.
    expect(value('Scheduler')).toBe('cosine');
    // learning_rate does not apply beside prodigy: disabled, saying why.
    const lr = screen.getByLabelText('Learning Rate') as HTMLInputElement;
    expect(lr.disabled).toBe(true);
    expect(lr.closest('.field')!.textContent).toContain(
      "Does not apply when optimizer is 'prodigy': Prodigy sets its own step size: ai-toolkit replaces any learning rate below 0.1 with 1.0",
    );
    // The unwired ones keep showing their defaults, not the preset's values.
    expect(value('Network Alpha')).toBe('16');
    expect(value('Gradient Accumulation')).toBe('1');

    await userEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    const { character_id, config } = onSubmit.mock.lastCall![0];
    expect(character_id).toBe('char-000000000001');
    expect(config).toEqual({
      steps: 2000,
      lora_rank: 32,
      resolution: 1024,
      batch_size: 1,
      optimizer: 'prodigy',
      scheduler: 'cosine',
      precision: 'bf16',
      use_ema: true,
      ema_decay: 0.99,
      sample_every: 250,
      keep_checkpoints: 4,
    });
  });

  it('re-enables Learning Rate when the optimizer changes back, and ties EMA Decay to Use Ema', async () => {
    const { onSubmit } = setup();
    await userEvent.selectOptions(screen.getByLabelText('Optimizer'), 'prodigy');
    expect((screen.getByLabelText('Learning Rate') as HTMLInputElement).disabled).toBe(true);
    await userEvent.selectOptions(screen.getByLabelText('Optimizer'), 'adamw');
    expect((screen.getByLabelText('Learning Rate') as HTMLInputElement).disabled).toBe(false);
    await userEvent.click(screen.getByLabelText('Use Ema'));
    const decay = screen.getByLabelText('Ema Decay') as HTMLInputElement;
    expect(decay.disabled).toBe(true);
    expect(decay.closest('.field')!.textContent).toContain('Does not apply when use_ema is false: Only used with Use Ema on');
    await userEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    const { config } = onSubmit.mock.lastCall![0];
    expect(config).toMatchObject({ optimizer: 'adamw', learning_rate: 0.0001, use_ema: false });
    expect('ema_decay' in config).toBe(false);
  });

  it('shows unavailable options disabled, each with its reason', () => {
    setup();
    const precision = screen.getByLabelText('Precision') as HTMLSelectElement;
    const state = [...precision.options].map((o) => [o.value, o.disabled]);
    expect(state).toEqual([['bf16', false], ['fp16', true], ['fp32', true]]);
    const reasons = screen.getByRole('list', { name: 'Unavailable Precision options' });
    expect(reasons.textContent).toContain('fp16, fp32: FLUX trains in bf16 on ai-toolkit');
    const scheduler = screen.getByLabelText('Scheduler') as HTMLSelectElement;
    expect([...scheduler.options].find((o) => o.value === 'cosine_with_restarts')!.disabled).toBe(true);
    expect(screen.getByRole('list', { name: 'Unavailable Scheduler options' }).textContent).toContain('never restarts');
  });

  it('a fully supported preset shows no note', async () => {
    setup();
    await userEvent.selectOptions(screen.getByLabelText('Preset'), 'quality');
    await userEvent.selectOptions(screen.getByLabelText('Preset'), 'quick');
    expect(screen.queryByText(/preset params not supported/)).toBeNull();
    expect(value('Steps')).toBe('500');
    expect(value('Resolution')).toBe('768');
  });

  it('lists unwired parameters in a collapsed section, disabled, with reasons', () => {
    setup();
    const summary = screen.getByText('2 parameters not available');
    const details = summary.closest('details')!;
    expect(details.open).toBe(false);
    for (const [label, reason] of [
      ['Gradient Accumulation', 'Not yet implemented in AI-Toolkit adapter'],
      ['Network Alpha', 'Planned for Phase 2'],
    ] as const) {
      const control = within(details).getByLabelText(label) as HTMLInputElement;
      expect(control.disabled).toBe(true);
      expect(control.closest('.field')!.textContent).toContain(reason);
    }
  });

  it('shows server issues next to the control they name', () => {
    const error = { message: "Parameter 'steps' below minimum (100)", data: { issues: [{ param: 'steps', message: "Parameter 'steps' below minimum (100)" }, { param: 'character_id', message: "Character 'x' has no images" }] } };
    render(<TrainingForm backend="mock" parameters={mockTraining.parameters} characters={characters} onSubmit={() => {}} error={error} />);
    const steps = screen.getByLabelText('Steps');
    expect(steps.closest('.field')!.textContent).toContain("Parameter 'steps' below minimum (100)");
    expect(screen.getByLabelText('Character').closest('.field')!.textContent).toContain("Character 'x' has no images");
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('TrainingForm follows the manifest', () => {
  const other: ParameterMap = {
    epochs: { type: 'int', min: 1, max: 50, default: 10, wired: true },
    network_dim: { type: 'enum', options: [2, 4, 8], default: 4, wired: true },
    steps: { type: 'int', min: 10, max: 300, default: 200, wired: true },
    caption_dropout: { type: 'float', min: 0, max: 0.5, step: 0.05, default: 0.1, wired: false, reason: 'Needs a newer trainer' },
  };

  it('renders other names and ranges when the info changes, and submits only those', async () => {
    const { onSubmit, rerender } = setup();
    expect(screen.getByLabelText('Lora Rank')).toBeTruthy();
    rerender(<TrainingForm backend="other" parameters={other} characters={characters} onSubmit={onSubmit} />);

    expect(screen.queryByLabelText('Lora Rank')).toBeNull();
    expect(screen.queryByLabelText('Optimizer')).toBeNull();
    const epochs = screen.getByLabelText('Epochs') as HTMLInputElement;
    expect([epochs.min, epochs.max, epochs.value]).toEqual(['1', '50', '10']);
    const steps = screen.getByLabelText('Steps') as HTMLInputElement;
    expect([steps.min, steps.max, steps.value]).toEqual(['10', '300', '200']);
    expect([...(screen.getByLabelText('Network Dim') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['2', '4', '8']);
    expect(screen.getByText('1 parameters not available')).toBeTruthy();
    expect((screen.getByLabelText('Caption Dropout') as HTMLInputElement).disabled).toBe(true);

    await userEvent.selectOptions(screen.getByLabelText('Network Dim'), '8');
    await userEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    expect(onSubmit.mock.lastCall![0].config).toEqual({ epochs: 10, network_dim: 8, steps: 200 });

    // Only `steps` of "quality" exists here: the other 7 keys are skipped.
    await userEvent.selectOptions(screen.getByLabelText('Preset'), 'quality');
    expect(screen.getByText('7 preset params not supported by current trainer')).toBeTruthy();
    expect(steps.value).toBe('2000');
  });

  it('carries a value the user changed over when the new schema still accepts it', async () => {
    const { onSubmit, rerender } = setup();
    await userEvent.clear(screen.getByLabelText('Steps'));
    await userEvent.type(screen.getByLabelText('Steps'), '250');
    rerender(<TrainingForm backend="other" parameters={other} characters={characters} onSubmit={onSubmit} />);
    expect(value('Steps')).toBe('250');
  });

  it('"Evaluate during training" is sent only when ticked', async () => {
    const { onSubmit } = setup();
    await userEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    expect('evaluate_during_training' in onSubmit.mock.lastCall![0]).toBe(false);
    await userEvent.click(screen.getByRole('checkbox', { name: 'Evaluate during training' }));
    await userEvent.click(screen.getByRole('button', { name: 'Start Training' }));
    expect(onSubmit.mock.lastCall![0]).toMatchObject({ character_id: 'char-000000000001', evaluate_during_training: true });
  });
});
