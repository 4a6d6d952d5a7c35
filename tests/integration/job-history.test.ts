/** Job history at the edges: prune (tRPC + CLI) into the archive, archived jobs still found, index repair. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobPage, JobRecord, JobStatus, JobType } from '../../src/shared/jobs.js';
import { statusIndexKey } from '../../src/shared/node/job-index.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { runCli } from '../tools/cli-harness.js';

let stack: Stack;
let seq = 0;
const DAY = 86_400_000;
const cli = (...args: string[]) => runCli([...args, '--url', stack.url]);

async function seed(daysAgo: number, status: JobStatus, type: JobType = 'generation'): Promise<JobRecord> {
  const store = stack.api.infra.store;
  const n = seq++;
  const record: JobRecord = {
    id: `${type}-${(0xabc000 + n).toString(16).padStart(12, '0')}`,
    type,
    status: 'queued',
    correlation_id: 'seed',
    config: { prompt: `seeded ${n}` },
    created_at: new Date(Date.now() - daysAgo * DAY - n).toISOString(),
    progress: 0,
    outputs: [],
    attempts: 0,
    rev: 0,
  };
  await store.create(record);
  if (status !== 'queued') await store.update(record.id, (r) => ({ ...r, status, finished_at: new Date().toISOString() }));
  return (await store.require(record.id))!;
}

beforeAll(async () => {
  stack = await startStack();
  // The store's connection may still be coming up (no offline queue): wait until it answers.
  for (let i = 0; ; i++) {
    try {
      await stack.api.infra.store.get('generation-000000000000');
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
afterAll(async () => stack?.stop());

describe('prune and the archive', () => {
  it('jobs prune --older-than 90d --type generation archives old finished generations; get and list still find them', async () => {
    const oldGen = await seed(120, 'completed');
    const oldTrain = await seed(120, 'failed', 'training');
    const fresh = await seed(1, 'completed');

    const r = await cli('jobs', 'prune', '--older-than', '90d', '--type', 'generation');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Archived 1 finished job\(s\) created before /);
    expect(await stack.api.infra.store.get(oldGen.id)).toBeNull();
    expect(await stack.api.infra.store.get(oldTrain.id)).not.toBeNull();

    const got = await stack.call<JobRecord>('jobs.get', { id: oldGen.id });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: oldGen.id, status: 'completed', archived: true });
    const typed = await stack.call<JobRecord>('generation.get', { id: oldGen.id });
    expect(typed.body.archived).toBe(true);
    const shown = await cli('jobs', 'show', oldGen.id, '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: oldGen.id, archived: true });

    // The list goes on from Redis into the archive, page by page.
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: JobPage } = await stack.call<JobPage>('jobs.list', { type: 'generation', limit: 1, ...(cursor ? { cursor } : {}) });
      ids.push(...page.body.items.map((j) => j.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(ids).toEqual([fresh.id, oldGen.id]);
  });

  it('bad prune input is a 400 naming the parameter, and a usage error in the CLI', async () => {
    const res = await stack.call<{ message: string }>('jobs.prune', { older_than_days: -1 }, { method: 'POST' });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("Parameter 'older_than_days'");
    const [bad, missing] = await Promise.all([cli('jobs', 'prune', '--older-than', 'soon'), cli('jobs', 'prune')]);
    expect([bad.code, bad.stderr.trim()]).toEqual([2, "Option '--older-than' must be a number of days like 90d, not 'soon'"]);
    expect(missing.code).toBe(2);
    const badCursor = await stack.call<{ message: string }>('jobs.list', { cursor: 'drop table' });
    expect([badCursor.status, badCursor.body.message]).toEqual([400, "Parameter 'cursor' must be the nextCursor of a previous page"]);
  });
});

describe('jobs repair-index', () => {
  it('rebuilds an index that drifted', async () => {
    const job = await seed(2, 'failed');
    const { Redis } = await import('ioredis');
    const raw = new Redis(stack.redis.url);
    try {
      await raw.zrem(statusIndexKey('generation', 'failed'), job.id);
      await raw.zadd(statusIndexKey('generation', 'running'), Date.parse(job.created_at), job.id);
    } finally {
      raw.disconnect();
    }
    const failedBefore = await stack.call<JobPage>('jobs.list', { status: 'failed', type: 'generation' });
    expect(failedBefore.body.items.map((j) => j.id)).not.toContain(job.id);

    const r = await cli('jobs', 'repair-index', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ fixed: 2 });
    const failed = await stack.call<JobPage>('jobs.list', { status: 'failed', type: 'generation' });
    expect(failed.body.items.map((j) => j.id)).toContain(job.id);
    const running = await stack.call<JobPage>('jobs.list', { status: 'running' });
    expect(running.body.items).toEqual([]);
  });
});
