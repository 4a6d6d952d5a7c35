// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import { userEvent } from '@testing-library/user-event';
import type { JobOutput } from '../../shared/jobs.js';
import { SamplesGrid } from './SamplesGrid.js';

afterEach(cleanup);

const sample = (step: number, i: number): JobOutput => ({ name: `sample_${String(step).padStart(9, '0')}_${i}.jpg`, kind: 'sample', step, width: 1024, height: 1024 });

describe('SamplesGrid', () => {
  it('rows by step, newest first; tiles load the 256 px thumbnail and the dialog the original', async () => {
    const outputs = [sample(250, 0), sample(250, 1), sample(500, 0), sample(500, 1)];
    render(<SamplesGrid jobId="training-0123456789ab" outputs={outputs} prompts={['ada at the sea', 'ada reading']} />);
    const tiles = screen.getAllByRole('img') as HTMLImageElement[];
    expect(tiles.map((img) => img.alt)).toEqual([
      'Sample at step 500: ada at the sea',
      'Sample at step 500: ada reading',
      'Sample at step 250: ada at the sea',
      'Sample at step 250: ada reading',
    ]);
    for (const img of tiles) expect(img.getAttribute('src')).toMatch(/^\/api\/jobs\/training-0123456789ab\/files\/sample_\d{9}_\d\.jpg\?w=256$/);

    await userEvent.click(screen.getByRole('button', { name: 'Enlarge sample at step 500: ada reading' }));
    const large = screen.getAllByRole('img').find((img) => !img.getAttribute('src')!.includes('?w='));
    expect(large?.getAttribute('src')).toBe('/api/jobs/training-0123456789ab/files/sample_000000500_1.jpg');
  });
});
