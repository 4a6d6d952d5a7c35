// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import type { ImageCapabilities } from '../../shared/capabilities.js';
import { mockImage } from '../../shared/manifests.js';
import { GenerateForm } from './GenerateForm.js';

afterEach(cleanup);

describe('GenerateForm', () => {
  it('renders toggles as checkboxes by name; unsupported ones disabled with the reason', async () => {
    const onSubmit = vi.fn();
    render(<GenerateForm caps={mockImage} loras={[]} onSubmit={onSubmit} />);
    const upscale = screen.getByLabelText('Use Upscale') as HTMLInputElement;
    expect(upscale.type).toBe('checkbox');
    expect(upscale.disabled).toBe(false);
    const face = screen.getByLabelText('Use Facedetailer') as HTMLInputElement;
    expect(face.disabled).toBe(true);
    expect(face.closest('.field')!.textContent).toContain('Workflow not implemented');

    await userEvent.type(screen.getByLabelText('Prompt'), 'a cat');
    await userEvent.click(upscale);
    await userEvent.click(screen.getByRole('button', { name: /Portrait 3:4/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));
    const input = onSubmit.mock.lastCall![0];
    expect(input.count).toBe(1);
    expect(input.lora_id).toBeUndefined();
    expect(input.config).toMatchObject({ prompt: 'a cat', model_variant: 'flux-dev', use_upscale: true, use_facedetailer: false, width: 768, height: 1024 });
    expect('seed' in input.config).toBe(false);
  });

  it('schnell takes its 4-step default unless the user chose the steps', async () => {
    const onSubmit = vi.fn();
    render(<GenerateForm caps={mockImage} loras={[]} onSubmit={onSubmit} />);
    const steps = screen.getByLabelText('Steps') as HTMLInputElement;
    expect(steps.value).toBe('20');
    await userEvent.selectOptions(screen.getByLabelText('Model Variant'), 'flux-schnell');
    expect(steps.value).toBe('4');
    await userEvent.selectOptions(screen.getByLabelText('Model Variant'), 'flux-dev');
    expect(steps.value).toBe('20');
    await userEvent.clear(steps);
    await userEvent.type(steps, '12');
    await userEvent.selectOptions(screen.getByLabelText('Model Variant'), 'flux-schnell');
    expect(steps.value).toBe('12');
  });

  it('disables Guidance Scale for flux-schnell with the reason and does not send it; width steps by 16', async () => {
    const onSubmit = vi.fn();
    render(<GenerateForm caps={mockImage} loras={[]} onSubmit={onSubmit} />);
    const guidance = screen.getByLabelText('Guidance Scale') as HTMLInputElement;
    expect(guidance.disabled).toBe(false);
    expect((screen.getByLabelText('Width') as HTMLInputElement).step).toBe('16');
    await userEvent.selectOptions(screen.getByLabelText('Model Variant'), 'flux-schnell');
    expect(guidance.disabled).toBe(true);
    expect(guidance.closest('.field')!.textContent).toContain(
      "Does not apply when model_variant is 'flux-schnell': FLUX schnell is distilled without guidance: its graphs have no FluxGuidance node",
    );
    await userEvent.type(screen.getByLabelText('Prompt'), 'a cat');
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));
    expect(onSubmit.mock.lastCall![0].config).toMatchObject({ model_variant: 'flux-schnell', steps: 4 });
    expect('guidance_scale' in onSubmit.mock.lastCall![0].config).toBe(false);
  });

  it('follows another manifest: its variants, parameters and toggles', async () => {
    const caps: ImageCapabilities = {
      backend: 'other',
      model_variants: ['sdxl', 'sd15'],
      toggles: { use_refiner: { supported: true }, use_hires_fix: { supported: false, reason: 'Later' } },
      parameters: { cfg: { type: 'float', min: 1, max: 15, step: 0.5, default: 7, wired: true }, sampler: { type: 'enum', options: ['euler', 'dpm'], default: 'euler', wired: true } },
    };
    const onSubmit = vi.fn();
    render(<GenerateForm caps={caps} loras={[]} onSubmit={onSubmit} />);
    expect(screen.queryByLabelText('Width')).toBeNull();
    expect(screen.queryByLabelText('Use Upscale')).toBeNull();
    expect(screen.queryByRole('group', { name: 'Size presets' })).toBeNull();
    expect((screen.getByLabelText('Cfg') as HTMLInputElement).max).toBe('15');
    expect((screen.getByLabelText('Use Hires Fix') as HTMLInputElement).disabled).toBe(true);
    await userEvent.type(screen.getByLabelText('Prompt'), 'x');
    await userEvent.selectOptions(screen.getByLabelText('Model Variant'), 'sd15');
    await userEvent.click(screen.getByLabelText('Fixed'));
    await userEvent.clear(screen.getByLabelText('Seed'));
    await userEvent.type(screen.getByLabelText('Seed'), '42');
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));
    expect(onSubmit.mock.lastCall![0].config).toEqual({ prompt: 'x', model_variant: 'sd15', cfg: 7, sampler: 'euler', use_refiner: false, use_hires_fix: false, seed: 42 });
  });

  it('starts the LoRA at a stored default strength, and picking a LoRA with one applies it', async () => {
    const lora = (id: string, name: string) => ({ id, character_id: 'char-0123456789ab', job_id: 'training-0123456789ab', trigger_word: 'ada_person', steps: 500, lora_rank: 16, created_at: '', character_name: name });
    const loras = [lora('lora-00000000000a', 'Ada'), lora('lora-00000000000b', 'Bea')];
    const onSubmit = vi.fn();
    render(<GenerateForm caps={mockImage} loras={loras} onSubmit={onSubmit} initialLoraId="lora-00000000000a" initialLoraStrength={0.8} loraDefaults={{ 'lora-00000000000a': 0.8, 'lora-00000000000b': 1.2 }} />);
    expect((screen.getByLabelText('LoRA') as HTMLSelectElement).value).toBe('lora-00000000000a');
    expect((screen.getByLabelText('Lora Strength') as HTMLInputElement).value).toBe('0.8');
    expect(screen.getByText('Chosen on an evaluation grid at strength 0.8.')).toBeTruthy();
    await userEvent.type(screen.getByLabelText('Prompt'), 'ada_person');
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));
    expect(onSubmit.mock.lastCall![0]).toMatchObject({ lora_id: 'lora-00000000000a', config: { lora_strength: 0.8 } });

    await userEvent.selectOptions(screen.getByLabelText('LoRA'), 'lora-00000000000b');
    expect((screen.getByLabelText('Lora Strength') as HTMLInputElement).value).toBe('1.2');
    await userEvent.click(screen.getByRole('button', { name: 'Generate' }));
    expect(onSubmit.mock.lastCall![0]).toMatchObject({ lora_id: 'lora-00000000000b', config: { lora_strength: 1.2 } });
  });
});
