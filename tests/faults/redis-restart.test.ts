/**
 * Redis (AOF, like start.sh's) restarted mid-run: no job record lost, the API answers 503 while
 * it is down and recovers by itself, and the worker resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ aof: true, workers: 1, env: { MOCK_STEP_MS: '20' } });
});
afterAll(async () => stack?.stop());

async function until(pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Redis restart', () => {
  it('loses no record, answers 503 while down, recovers, and every job completes', async () => {
    const jobs: JobRecord[] = [];
    for (let i = 0; i < 4; i++) {
      jobs.push((await stack.call<JobRecord>('generation.start', { config: { prompt: `r${i}`, width: 512, height: 512, steps: 25 } })).body);
    }
    await stack.waitFor(jobs[0]!.id, (r) => r.status === 'running');
    await stack.redis.stop();

    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ redis: 'down' });
    const get = await stack.call<{ message: string; data: { code: string } }>('jobs.get', { id: jobs[1]!.id });
    expect(get.status).toBe(503);
    expect(get.body.data.code).toBe('SERVICE_UNAVAILABLE');
    const start = await stack.call<{ message: string }>('generation.start', { config: { prompt: 'while down' } });
    expect(start.status).toBe(503);
    expect((await fetch(`${stack.url}/api/info`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, 1500));
    await stack.redis.start();
    await until(async () => (await fetch(`${stack.url}/api/health`)).status === 200, 20_000);
    for (const job of jobs) {
      const record = await stack.waitFor(job.id, undefined, 60_000);
      expect(record.status, `${job.id}: ${record.error}`).toBe('completed');
    }
    const after = (await stack.call<JobRecord>('generation.start', { config: { prompt: 'after', width: 512, height: 512, steps: 1 } })).body;
    expect((await stack.waitFor(after.id, undefined, 30_000)).status).toBe('completed');
  }, 120_000);
});
