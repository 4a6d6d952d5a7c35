/** `isengard train resume|continue` and `loras from-checkpoint`, spawned as a user runs them, on the mock trainer. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import type { Lora } from '../../src/shared/characters.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { runCli } from './cli-harness.js';

let stack: Stack;
let characterId: string;
const cli = (...args: string[]) => runCli([...args, '--url', stack.url]);
const json = <T>(stdout: string) => JSON.parse(stdout) as T;

beforeAll(async () => {
  stack = await startStack({ workers: 1, env: { MOCK_STEP_MS: '4' } });
  characterId = await characterWithImages(stack, 2, 'cli_person');
}, 60_000);
afterAll(async () => stack?.stop());

describe('CLI: resume, continue, checkpoints', () => {
  it('train resume follows the new job from the checkpoint to 100 %; train continue adds exactly N steps', async () => {
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 1000 } });
    await stack.waitFor(job.id, (r) => (r.current_step ?? 0) >= 400, 60_000);
    await stack.call('training.cancel', { id: job.id });
    const cancelled = await stack.waitFor(job.id);
    const lastCheckpoint = Math.max(...cancelled.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step!));

    const resumed = await cli('train', 'resume', job.id, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    const record = json<JobRecord>(resumed.stdout);
    expect(record).toMatchObject({ status: 'completed', resumed_from: job.id, resume_step: lastCheckpoint, current_step: 1000, progress: 1 });

    const again = await cli('train', 'resume', job.id);
    expect([again.code, again.stderr.trim()]).toEqual([2, `Job '${job.id}' was already resumed by ${record.id}`]);
    const noSteps = await cli('train', 'continue', record.id);
    expect([noSteps.code, noSteps.stderr.trim()]).toEqual([2, "Option '--steps' is required: how many more steps to train"]);

    const continued = await cli('train', 'continue', record.id, '--steps', '120', '--json');
    expect(continued.code, continued.stderr).toBe(0);
    const next = json<JobRecord>(continued.stdout);
    expect(next).toMatchObject({ status: 'completed', continued_from: record.id, base_lora_id: record.result_lora_id, total_steps: 120, current_step: 120 });

    const made = await cli('loras', 'from-checkpoint', record.id, String(750), '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(json<Lora>(made.stdout)).toMatchObject({ job_id: record.id, steps: 750, from_checkpoint: { job_id: record.id, step: 750 } });
    const missing = await cli('loras', 'from-checkpoint', record.id, '7');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`Job '${record.id}' has no checkpoint at step 7`);
  }, 240_000);

  it('characters purge lists what goes and asks; without a yes nothing is deleted, with --yes the person is gone', async () => {
    const victim = await characterWithImages(stack, 2, 'gone_person');
    const { body: job } = await stack.call<JobRecord>('training.start', { character_id: victim, config: { steps: 100 } });
    await stack.waitFor(job.id, undefined, 60_000);

    const refused = await cli('characters', 'purge', victim);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2 photos \(\d+(\.\d)? KB\)/);
    expect(refused.stderr).toContain('1 LoRAs');
    expect(refused.stderr).toContain('Not confirmed; nothing was deleted');
    expect((await stack.call('characters.get', { id: victim })).status).toBe(200);

    const done = await cli('characters', 'purge', victim, '--yes', '--json');
    expect(done.code, done.stderr).toBe(0);
    expect(json<JobRecord>(done.stdout)).toMatchObject({ type: 'purge', status: 'completed', character_id: victim });
    expect((await stack.call('characters.get', { id: victim })).status).toBe(404);
  }, 120_000);
});
