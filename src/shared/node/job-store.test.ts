import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import type { JobRecord, JobStatus, JobType } from '../jobs.js';
import { characterIndexKey, LEGACY_INDEX_KEYS, statusIndexKey } from './job-index.js';
import { repairJobIndexes } from './job-index-repair.js';
import { jobKey, JobStore } from './job-store.js';

const testRedis = useTestRedis();
let store: JobStore;
let seq = 0;

function job(over: Partial<JobRecord> & { type?: JobType } = {}): JobRecord {
  const type = over.type ?? 'generation';
  const n = seq++;
  return {
    id: `${type}-${n.toString(16).padStart(12, '0')}`,
    type,
    status: 'queued',
    correlation_id: 'test',
    config: {},
    created_at: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
    progress: 0,
    outputs: [],
    attempts: 0,
    rev: 0,
    ...over,
  };
}

async function setStatus(id: string, status: JobStatus) {
  await store.update(id, (r) => ({ ...r, status }));
}

async function listAll(opts: Parameters<JobStore['list']>[0]): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.list({ ...opts, cursor });
    ids.push(...page.items.map((j) => j.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error('cursor never ended');
}

beforeEach(async () => {
  await testRedis.redis.flushdb();
  store ??= new JobStore(testRedis.redis);
});
afterAll(() => store?.close());

describe('JobStore indexes', () => {
  it('every filter lists exactly its jobs, newest first, across pages with no gap or repeat', async () => {
    const jobs = Array.from({ length: 60 }, (_, i) =>
      job({ type: i % 3 ? 'generation' : 'training', ...(i % 4 === 0 ? { character_id: 'char-00000000000a' } : {}) }),
    );
    for (const j of jobs) await store.create(j);
    const statuses: JobStatus[] = ['running', 'completed', 'failed', 'cancelled'];
    for (const [i, j] of jobs.entries()) if (i % 5) await setStatus(j.id, statuses[i % 4]!);
    const current = await Promise.all(jobs.map((j) => store.require(j.id)));
    const expected = (f: (j: JobRecord) => boolean) => current.filter(f).map((j) => j.id).reverse();

    expect(await listAll({ limit: 7 })).toEqual(expected(() => true));
    for (const status of ['queued', ...statuses] as JobStatus[]) {
      expect(await listAll({ status, limit: 3 })).toEqual(expected((j) => j.status === status));
      expect(await listAll({ status, type: 'training', limit: 2 })).toEqual(expected((j) => j.status === status && j.type === 'training'));
    }
    expect(await listAll({ characterId: 'char-00000000000a', limit: 4 })).toEqual(expected((j) => j.character_id === 'char-00000000000a'));
    expect(await listAll({ characterId: 'char-00000000000a', status: 'running', limit: 1 })).toEqual(
      expected((j) => j.character_id === 'char-00000000000a' && j.status === 'running'),
    );
  });

  it('a status change moves the job between indexes in the same transaction as the record', async () => {
    const j = job({ character_id: 'char-00000000000b' });
    await store.create(j);
    await setStatus(j.id, 'running');
    const r = testRedis.redis;
    expect(await r.zscore(statusIndexKey('generation', 'queued'), j.id)).toBeNull();
    expect(await r.zscore(statusIndexKey('generation', 'running'), j.id)).not.toBeNull();
    expect(await r.zscore(characterIndexKey('char-00000000000b', 'generation', 'queued'), j.id)).toBeNull();
    expect(await r.zscore(characterIndexKey('char-00000000000b', 'generation', 'running'), j.id)).not.toBeNull();
    // A progress update (same status) leaves the index alone; a terminal record never moves again.
    await store.update(j.id, (x) => ({ ...x, progress: 0.5 }));
    await setStatus(j.id, 'completed');
    await setStatus(j.id, 'failed');
    expect((await store.list({ status: 'completed' })).items.map((x) => x.id)).toEqual([j.id]);
    expect((await store.list({ status: 'failed' })).items).toEqual([]);
  });

  it('pages stay exact when many jobs share one creation millisecond', async () => {
    const at = new Date().toISOString();
    const jobs = Array.from({ length: 25 }, () => job({ created_at: at }));
    for (const j of jobs) await store.create(j);
    const ids = await listAll({ limit: 4 });
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it('a job created while paging does not shift the next page (keyset cursor)', async () => {
    for (let i = 0; i < 10; i++) await store.create(job());
    const first = await store.list({ limit: 5 });
    await store.create(job());
    const second = await store.list({ limit: 5, cursor: first.nextCursor });
    expect(second.items.map((j) => j.id)).not.toContain(first.items.at(-1)!.id);
    expect(new Set([...first.items, ...second.items].map((j) => j.id)).size).toBe(10);
  });

  it('still accepts the numeric offset cursor of earlier versions', async () => {
    for (let i = 0; i < 6; i++) await store.create(job());
    const all = await listAll({});
    expect((await store.list({ cursor: 2, limit: 3 })).items.map((j) => j.id)).toEqual(all.slice(2, 5));
  });

  it('active() is exact: an old queued job behind 1,500 newer finished ones is found', async () => {
    const old = job({ type: 'training', character_id: 'char-00000000000c' });
    await store.create(old);
    const pipe = testRedis.redis.pipeline();
    for (let i = 0; i < 1500; i++) {
      const j = job({ type: 'training', status: 'completed' });
      pipe.set(jobKey(j.id), JSON.stringify(j)).zadd(statusIndexKey('training', 'completed'), Date.parse(j.created_at), j.id);
    }
    await pipe.exec();
    expect((await store.active('training')).map((j) => j.id)).toEqual([old.id]);
    expect(await store.active('generation')).toEqual([]);
  });

  it('a second create of the same id is refused and leaves the indexes alone', async () => {
    const j = job();
    await store.create(j);
    await setStatus(j.id, 'completed');
    await expect(store.create(j)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await testRedis.redis.zscore(statusIndexKey('generation', 'queued'), j.id)).toBeNull();
  });
});

describe('JobStore reads parse records with their schema', () => {
  it('an unreadable record is an error on get and skipped by lists', async () => {
    const good = job();
    const bad = job();
    await store.create(good);
    await store.create(bad);
    await testRedis.redis.set(jobKey(bad.id), JSON.stringify({ ...bad, status: 'exploded' }));
    await expect(store.get(bad.id)).rejects.toMatchObject({ code: 'INTERNAL', message: `Job '${bad.id}' has an unreadable record in Redis` });
    expect((await store.list({})).items.map((j) => j.id)).toEqual([good.id]);
    await expect(store.update(bad.id, (r) => r)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('repairJobIndexes', () => {
  it('rebuilds drifted indexes: missing, misplaced, stale and legacy entries', async () => {
    const r = testRedis.redis;
    const [a, b, c, d] = [job(), job({ character_id: 'char-00000000000d' }), job(), job({ type: 'training' })];
    for (const j of [a, b, c, d]) await store.create(j);
    await setStatus(b.id, 'completed');
    // Drift: a vanished from its index, b sits in the wrong status, a ghost id points nowhere,
    // d's record changed behind the store's back, and an earlier version's index is still there.
    await r.zrem(statusIndexKey('generation', 'queued'), a.id);
    await r.zadd(statusIndexKey('generation', 'failed'), Date.parse(b.created_at), b.id);
    await r.zrem(characterIndexKey('char-00000000000d', 'generation', 'completed'), b.id);
    await r.zadd(statusIndexKey('generation', 'running'), 1, 'generation-ffffffffffff');
    await r.set(jobKey(d.id), JSON.stringify({ ...d, status: 'failed' }));
    await r.zadd(LEGACY_INDEX_KEYS.at(-1)!, Date.parse(c.created_at), c.id);
    expect((await store.list({ status: 'queued' })).items.map((j) => j.id)).toEqual([c.id]); // drifted: a is lost

    const report = await repairJobIndexes(r);
    expect(report.fixed).toBeGreaterThanOrEqual(6);
    expect((await store.list({ status: 'queued' })).items.map((j) => j.id)).toEqual([c.id, a.id]);
    expect((await store.list({ status: 'failed' })).items.map((j) => j.id)).toEqual([d.id]);
    expect((await store.list({ status: 'running' })).items).toEqual([]);
    expect((await store.list({ characterId: 'char-00000000000d', status: 'completed' })).items.map((j) => j.id)).toEqual([b.id]);
    expect(await r.exists(...LEGACY_INDEX_KEYS)).toBe(0);
    expect((await repairJobIndexes(r)).fixed).toBe(0);
  });

  it('leaves an unreadable record out of the indexes and reports it', async () => {
    const j = job();
    await store.create(j);
    await testRedis.redis.set(jobKey(j.id), '{"not":"a job"}');
    const report = await repairJobIndexes(testRedis.redis);
    expect(report.unreadable).toEqual([j.id]);
    expect(await testRedis.redis.zcard(statusIndexKey('generation', 'queued'))).toBe(0);
  });
});
