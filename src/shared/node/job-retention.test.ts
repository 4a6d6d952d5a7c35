import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import { silentLogger, tempDir } from '../../../tests/helpers/test-config.js';
import type { JobRecord, JobStatus, JobType } from '../jobs.js';
import { JobArchive } from './job-archive.js';
import { LEGACY_INDEX_KEYS } from './job-index.js';
import { JobRetention, withJobHistoryLock } from './job-retention.js';
import { jobKey, JobStore } from './job-store.js';

const testRedis = useTestRedis();
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
let store: JobStore;
let archive: JobArchive;
let retention: JobRetention;
let seq = 0;

async function add(daysAgo: number, status: JobStatus, type: JobType = 'generation'): Promise<JobRecord> {
  const n = seq++;
  const record: JobRecord = {
    id: `${type}-${n.toString(16).padStart(12, '0')}`,
    type,
    status: 'queued',
    correlation_id: 'test',
    config: { prompt: `job ${n}` },
    created_at: new Date(NOW - daysAgo * DAY - n).toISOString(),
    progress: 0,
    outputs: [],
    attempts: 0,
    rev: 0,
  };
  await store.create(record);
  if (status !== 'queued') await store.update(record.id, (r) => ({ ...r, status }));
  return (await store.require(record.id))!;
}

beforeEach(async () => {
  await testRedis.redis.flushdb();
  store ??= new JobStore(testRedis.redis);
  archive = new JobArchive(path.join(tempDir(), 'archive', 'jobs'));
  retention = new JobRetention({ store, archive, redis: testRedis.redis, logger: silentLogger() });
});
afterAll(() => store?.close());

describe('JobRetention.prune', () => {
  it('moves finished jobs older than the cutoff to the JSONL archive and nothing else', async () => {
    const oldDone = await add(100, 'completed');
    const oldFailed = await add(95, 'failed', 'training');
    const oldQueued = await add(120, 'queued');
    const oldRunning = await add(120, 'running', 'training');
    const recent = await add(10, 'completed');

    const report = await retention.prune({ olderThanDays: 90 }, NOW);
    expect(report.archived).toBe(2);
    for (const gone of [oldDone, oldFailed]) expect(await store.get(gone.id)).toBeNull();
    for (const kept of [oldQueued, oldRunning, recent]) expect(await store.get(kept.id)).not.toBeNull();
    expect((await store.list({})).items.map((j) => j.id).sort()).toEqual([oldQueued.id, oldRunning.id, recent.id].sort());

    const lines = fs.readdirSync(archive.dir).flatMap((f) => fs.readFileSync(path.join(archive.dir, f), 'utf8').trim().split('\n'));
    expect(lines.map((l) => (JSON.parse(l) as JobRecord).id).sort()).toEqual([oldDone.id, oldFailed.id].sort());
    expect(await archive.find(oldDone.id)).toEqual({ ...oldDone, archived: true });
    expect(await archive.find('generation-ffffffffffff')).toBeNull();
  });

  it('--type limits it to one job type', async () => {
    const gen = await add(100, 'completed', 'generation');
    const train = await add(100, 'completed', 'training');
    expect((await retention.prune({ olderThanDays: 90, type: 'generation' }, NOW)).archived).toBe(1);
    expect(await store.get(gen.id)).toBeNull();
    expect(await store.get(train.id)).not.toBeNull();
  });

  it('archives in batches past the first 500', async () => {
    for (let i = 0; i < 520; i++) await add(200, 'cancelled');
    expect((await retention.prune({ olderThanDays: 1 }, NOW)).archived).toBe(520);
    expect((await archive.list({}, null, 100)).items).toHaveLength(100);
  });

  it('one pruner at a time across processes: a second one is told it is busy', async () => {
    for (let i = 0; i < 50; i++) await add(100, 'completed');
    const other = new JobRetention({ store, archive, redis: testRedis.redis, logger: silentLogger() });
    const results = await Promise.allSettled([retention.prune({ olderThanDays: 1 }, NOW), other.prune({ olderThanDays: 1 }, NOW)]);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'CONFLICT' });
    const archivedLines = fs.readdirSync(archive.dir).flatMap((f) => fs.readFileSync(path.join(archive.dir, f), 'utf8').trim().split('\n'));
    expect(archivedLines).toHaveLength(50);
  });

  it('lists the archive newest first with a cursor and filters', async () => {
    const jobs = [];
    for (let i = 0; i < 12; i++) jobs.push(await add(100 + i * 20, i % 2 ? 'failed' : 'completed', i % 3 ? 'generation' : 'training'));
    await retention.prune({ olderThanDays: 1 }, NOW);
    const seen: string[] = [];
    let after = null;
    do {
      const page: Awaited<ReturnType<JobArchive['list']>> = await archive.list({ status: 'failed' }, after, 2);
      seen.push(...page.items.map((j) => j.id));
      after = page.next;
    } while (after);
    expect(seen).toEqual(jobs.filter((j) => j.status === 'failed').map((j) => j.id));
  });
});

describe('JobRetention.start', () => {
  it('with JOB_RETENTION_DAYS it prunes on its own; it also moves legacy indexes over', async () => {
    const old = await add(400, 'completed');
    const j = await add(1, 'queued');
    await testRedis.redis.zadd(LEGACY_INDEX_KEYS[0]!, 1, j.id);
    retention.start(30, { firstDelayMs: 1, intervalMs: 60_000 });
    try {
      await expect.poll(() => store.get(old.id), { timeout: 5000 }).toBeNull();
      await expect.poll(() => testRedis.redis.exists(...LEGACY_INDEX_KEYS), { timeout: 5000 }).toBe(0);
      expect(await testRedis.redis.exists(jobKey(j.id))).toBe(1);
    } finally {
      retention.stop();
    }
  });
});

describe('JobArchive.rewrite (a purge)', () => {
  it('rewrites only the named records, keeps every other line, leaves no temp file', async () => {
    const mine = await add(100, 'completed');
    const theirs = await add(100, 'completed');
    await retention.prune({ olderThanDays: 90 }, NOW);
    const before = fs.readdirSync(archive.dir);
    const changed = await archive.rewrite(new Set([mine.id]), (r) => ({ ...r, config: {}, purged_at: 'now' }));
    expect(changed).toBe(1);
    expect(fs.readdirSync(archive.dir)).toEqual(before);
    expect(await archive.find(mine.id)).toMatchObject({ config: {}, purged_at: 'now' });
    expect(await archive.find(theirs.id)).toMatchObject({ config: theirs.config, status: 'completed' });
    expect(await archive.find(theirs.id)).not.toHaveProperty('purged_at');
    const text = before.map((f) => fs.readFileSync(path.join(archive.dir, f), 'utf8')).join('');
    expect(text).not.toContain(String(mine.config.prompt));
    expect(await archive.rewrite(new Set(['generation-nothere']), (r) => r)).toBe(0);
  });

  it('waits for a prune holding the job-history lock before rewriting', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = withJobHistoryLock(testRedis.redis, () => new Promise<void>((r) => (release = () => (order.push('prune'), r()))));
    await expect.poll(() => release).toBeTruthy();
    const purge = withJobHistoryLock(testRedis.redis, async () => void order.push('purge'), { waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 300));
    expect(order).toEqual([]);
    release();
    await Promise.all([held, purge]);
    expect(order).toEqual(['prune', 'purge']);
  });
});
