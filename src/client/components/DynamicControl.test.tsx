// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import { useState } from 'react';
import type { ParameterSchema } from '../../shared/capabilities.js';
import { DynamicControl } from './DynamicControl.js';

afterEach(cleanup);

/** A controlled host, as the forms use it; records every value emitted. */
function Host({ name, schema, initial, onValue }: { name: string; schema: ParameterSchema; initial: unknown; onValue: (v: unknown) => void }) {
  const [value, setValue] = useState(initial);
  return (
    <DynamicControl
      name={name}
      schema={schema}
      value={value}
      onChange={(v) => {
        setValue(v);
        onValue(v);
      }}
    />
  );
}

describe('DynamicControl', () => {
  it('enum with numeric options: a select whose chosen value stays a number', async () => {
    const onValue = vi.fn();
    render(<Host name="lora_rank" schema={{ type: 'enum', options: [4, 8, 16, 32], default: 16, wired: true }} initial={16} onValue={onValue} />);
    const select = screen.getByLabelText('Lora Rank') as HTMLSelectElement;
    expect(select.tagName).toBe('SELECT');
    expect([...select.options].map((o) => o.value)).toEqual(['4', '8', '16', '32']);
    expect(select.value).toBe('16');
    await userEvent.selectOptions(select, '32');
    expect(onValue).toHaveBeenLastCalledWith(32);
    expect(typeof onValue.mock.lastCall?.[0]).toBe('number');
    expect(select.value).toBe('32');
  });

  it('enum with string options emits strings', async () => {
    const onValue = vi.fn();
    render(<Host name="optimizer" schema={{ type: 'enum', options: ['adamw8bit', 'prodigy'], default: 'adamw8bit', wired: true }} initial="adamw8bit" onValue={onValue} />);
    await userEvent.selectOptions(screen.getByLabelText('Optimizer'), 'prodigy');
    expect(onValue).toHaveBeenLastCalledWith('prodigy');
  });

  it('int: a number input with the schema range, step 1, and numbers out', async () => {
    const onValue = vi.fn();
    render(<Host name="steps" schema={{ type: 'int', min: 100, max: 10000, default: 1000, wired: true }} initial={1000} onValue={onValue} />);
    const input = screen.getByLabelText('Steps') as HTMLInputElement;
    expect(input.type).toBe('number');
    expect([input.min, input.max, input.step]).toEqual(['100', '10000', '1']);
    await userEvent.clear(input);
    // A cleared field sends nothing (the server applies the default) and keeps what was typed.
    expect(onValue).toHaveBeenLastCalledWith(undefined);
    await userEvent.type(input, '2500');
    expect(onValue).toHaveBeenLastCalledWith(2500);
    expect(input.value).toBe('2500');
    expect(screen.getByText('100 – 10000')).toBeTruthy();
  });

  it('float: step from the schema; exponent notation parses', async () => {
    const onValue = vi.fn();
    render(<Host name="learning_rate" schema={{ type: 'float', min: 1e-6, max: 0.01, step: 1e-6, default: 1e-4, wired: true }} initial={1e-4} onValue={onValue} />);
    const input = screen.getByLabelText('Learning Rate') as HTMLInputElement;
    expect(input.step).toBe('0.000001');
    expect(input.value).toBe('0.0001');
    await userEvent.clear(input);
    await userEvent.type(input, '5e-5');
    expect(onValue).toHaveBeenLastCalledWith(5e-5);
  });

  it('bool: a checkbox', async () => {
    const onValue = vi.fn();
    render(<Host name="gradient_checkpointing" schema={{ type: 'bool', default: false, wired: true }} initial={false} onValue={onValue} />);
    const box = screen.getByLabelText('Gradient Checkpointing') as HTMLInputElement;
    expect(box.type).toBe('checkbox');
    expect(box.checked).toBe(false);
    await userEvent.click(box);
    expect(onValue).toHaveBeenLastCalledWith(true);
    expect(box.checked).toBe(true);
  });

  it('string: a text input', async () => {
    const onValue = vi.fn();
    render(<Host name="sample_prompt" schema={{ type: 'string', default: '', wired: true }} initial="" onValue={onValue} />);
    const input = screen.getByLabelText('Sample Prompt') as HTMLInputElement;
    expect(input.type).toBe('text');
    await userEvent.type(input, 'hi');
    expect(onValue).toHaveBeenLastCalledWith('hi');
  });

  it('unwired: disabled, with the reason shown and used as its description', async () => {
    const onValue = vi.fn();
    render(
      <Host
        name="network_alpha"
        schema={{ type: 'int', min: 1, max: 128, default: 16, wired: false, reason: 'Planned for Phase 2' }}
        initial={16}
        onValue={onValue}
      />,
    );
    const input = screen.getByLabelText('Network Alpha') as HTMLInputElement;
    expect(input.disabled).toBe(true);
    expect(screen.getByText('Planned for Phase 2')).toBeTruthy();
    const described = input.getAttribute('aria-describedby')!.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(described).toContain('Planned for Phase 2');
    await userEvent.type(input, '9');
    expect(onValue).not.toHaveBeenCalled();
  });

  it('shows a server issue next to the control and marks it invalid', () => {
    render(<DynamicControl name="steps" schema={{ type: 'int', min: 100, wired: true }} value={5} error="Parameter 'steps' below minimum (100)" />);
    const input = screen.getByLabelText('Steps');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const field = input.closest('[data-param="steps"]')!;
    expect(field.textContent).toContain("Parameter 'steps' below minimum (100)");
  });
});
