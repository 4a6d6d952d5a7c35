import { describe, expect, it } from 'vitest';
import { CheckpointRetention } from './checkpoint-retention.js';
import type { JobContext } from '../types.js';

function fakeContext() {
  const removed: string[] = [];
  const events: string[] = [];
  const ctx = {
    removeOutput: async (name: string) => void removed.push(name),
    logger: { info: (_msg: string, event: string) => void events.push(event) },
  } as unknown as JobContext;
  return { ctx, removed, events };
}

const name = (step: number) => `checkpoint_${String(step).padStart(9, '0')}.safetensors`;

describe('CheckpointRetention', () => {
  it('keeps the newest N', async () => {
    const { ctx, removed } = fakeContext();
    const retention = new CheckpointRetention(ctx, 2);
    for (const step of [25, 50, 75, 100]) await retention.recorded(name(step), step);
    expect(removed).toEqual([name(25), name(50)]);
  });

  it('removes nothing while held, says so once, and catches up once the hold ends', async () => {
    const { ctx, removed, events } = fakeContext();
    let held = true;
    const retention = new CheckpointRetention(ctx, 1, async () => held);
    for (const step of [25, 50, 75]) await retention.recorded(name(step), step);
    expect(removed).toEqual([]);
    expect(events).toEqual(['trainer.checkpoints_held']);
    held = false; // the evaluation was cancelled
    await retention.recorded(name(100), 100);
    expect(removed).toEqual([name(25), name(50), name(75)]);
  });

  it('does not ask about a hold while nothing would be removed', async () => {
    const { ctx } = fakeContext();
    let asked = 0;
    const retention = new CheckpointRetention(ctx, 3, async () => (asked++, true));
    for (const step of [25, 50, 75]) await retention.recorded(name(step), step);
    expect(asked).toBe(0);
  });
});
