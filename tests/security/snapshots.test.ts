/**
 * Every training snapshots the character's dataset; a final training's snapshot is removed once
 * nothing can resume from it (a cancelled one with a checkpoint keeps it: see
 * tests/integration/training-steering.test.ts), an active one's stays, and a sweep at start
 * catches jobs that ended while no API ran.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { eventually, volumeSandbox } from './support.js';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let character: string;
const dataset = (id: string) => path.join(sandbox.volume, 'training', id, 'dataset');

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-snap-');
  stack = await startStack({ workers: 1, env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000', MOCK_STEP_MS: '20' } });
  character = await characterWithImages(stack, 2, 'snap_person');
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

describe('dataset snapshots', () => {
  it('stay while the training runs and go once it is final; its checkpoints and LoRA stay', async () => {
    const started = await stack.call<{ id: string }>('training.start', { character_id: character, config: { steps: 100 } });
    const id = started.body.id;
    await stack.waitFor(id, (r) => r.status === 'running');
    expect(fs.readdirSync(dataset(id)).length).toBe(4); // two images, two captions
    const done = await stack.waitFor(id);
    expect(done.status).toBe('completed');
    await eventually(() => expect(fs.existsSync(dataset(id))).toBe(false));
    expect(fs.existsSync(path.join(sandbox.volume, 'training', id))).toBe(true);
    expect((await stack.call('loras.get', { id: done.result_lora_id })).status).toBe(200);
  }, 30_000);

  it('a cancelled training without a checkpoint loses its snapshot too', async () => {
    const started = await stack.call<{ id: string }>('training.start', { character_id: character, config: { steps: 1000 } });
    const id = started.body.id;
    await stack.waitFor(id, (r) => r.status === 'running');
    await stack.call('training.cancel', { id });
    await stack.waitFor(id);
    await eventually(() => expect(fs.existsSync(dataset(id))).toBe(false));
  }, 30_000);

  it('the sweep removes snapshots of final jobs and leaves active or unknown young ones', async () => {
    const { services, infra } = stack.api;
    const finalId = 'training-0000000000f1';
    const activeId = 'training-0000000000a1';
    const unknownId = 'training-0000000000u1';
    const record = (id: string, status: 'failed' | 'running') => ({
      id, type: 'training' as const, status, correlation_id: 'c', config: {}, character_id: character, created_at: new Date().toISOString(), progress: 0, outputs: [], attempts: 1, rev: 0,
    });
    await infra.store.create(record(finalId, 'failed'));
    await infra.store.create(record(activeId, 'running'));
    for (const id of [finalId, activeId, unknownId]) {
      fs.mkdirSync(dataset(id), { recursive: true });
      fs.writeFileSync(path.join(dataset(id), 'img.png'), 'x');
    }
    expect(await services.snapshots.sweep()).toBe(1);
    expect([finalId, activeId, unknownId].map((id) => fs.existsSync(dataset(id)))).toEqual([false, true, true]);
    // An hour later a snapshot nobody has a record for (archived) is taken as well.
    expect(await services.snapshots.sweep(Date.now() + 2 * 60 * 60_000)).toBe(1);
    expect(fs.existsSync(dataset(unknownId))).toBe(false);
    expect(fs.existsSync(dataset(activeId))).toBe(true);
  });
});
