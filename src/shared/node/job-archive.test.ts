import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/helpers/test-config.js';
import { JOB_STATUSES, type JobRecord } from '../jobs.js';
import { JobArchive } from './job-archive.js';
import { isAfter, newerFirst, scoreOf, type IndexEntry, type IndexFilter } from './job-index.js';

const CHARACTERS = ['char-000000000001', 'char-000000000002'];

/** A deterministic mix, half in March and half in April, with the cases the fast path must not get wrong. */
function records(n: number, sameTime = 1): JobRecord[] {
  const out: JobRecord[] = [];
  for (let i = 0; i < n; i++) {
    const type = i % 3 === 0 ? 'training' : 'generation';
    // Every 7th shares its created_at with the one before (and `sameTime` in a row share one): ties are ordered by id.
    const ms = Date.UTC(2026, 3, 1) + (Math.floor(i / sameTime) * sameTime - (i % 7 === 0 ? 1 : 0) - Math.floor(n / 2)) * 60_000;
    out.push({
      id: `${type}-${i.toString(16).padStart(12, '0')}`,
      type,
      status: JOB_STATUSES[(i * 5) % JOB_STATUSES.length]!,
      correlation_id: 'test',
      // A filter's text inside the config (a false candidate) and a second created_at (read by decoding).
      config: { prompt: `job "status":"failed" ${i}`, ...(i % 11 === 0 ? { nested: { status: 'failed', character_id: CHARACTERS[0] } } : {}), ...(i % 13 === 0 ? { created_at: '2030-01-01T00:00:00.000Z' } : {}) },
      created_at: new Date(ms).toISOString(),
      progress: 1,
      outputs: [],
      attempts: 1,
      rev: 1,
      ...(i % 4 === 0 ? { character_id: CHARACTERS[(i / 4) % 2]! } : {}),
    });
  }
  return out;
}

/** What a page must be: decode everything, filter, order, cut. */
function reference(all: JobRecord[], filter: IndexFilter, after: IndexEntry | null, limit: number): string[] {
  const entry = (r: JobRecord) => ({ score: scoreOf(r), id: r.id });
  return all
    .filter((r) => (!filter.type || r.type === filter.type) && (!filter.status || r.status === filter.status))
    .filter((r) => !filter.characterId || r.character_id === filter.characterId)
    .filter((r) => isAfter(entry(r), after))
    .sort((a, b) => newerFirst(entry(a), entry(b)))
    .slice(0, limit)
    .map((r) => r.id);
}

async function archiveOf(all: JobRecord[], { shuffle = false, duplicate = 0 } = {}): Promise<JobArchive> {
  const archive = new JobArchive(path.join(tempDir('isengard-archive-'), 'archive', 'jobs'));
  const order = shuffle ? [...all].sort((a, b) => (a.id.split('').reverse().join('') < b.id.split('').reverse().join('') ? -1 : 1)) : all;
  await archive.append(order);
  // A crash between the append and the Redis delete makes the next prune append the same record again.
  if (duplicate) await archive.append(order.slice(-duplicate));
  return archive;
}

const FILTERS: IndexFilter[] = [{}, { status: 'failed' }, { type: 'training' }, { characterId: CHARACTERS[0] }, { characterId: CHARACTERS[1], type: 'generation' }];

describe('JobArchive.list', () => {
  it.each([
    ['in the order they were archived', {}],
    ['shuffled, with duplicate lines', { shuffle: true, duplicate: 40 }],
  ])('pages every filter exactly like decoding the whole archive (%s)', async (_, opts) => {
    const all = records(240);
    const archive = await archiveOf(all, opts);
    expect(fs.readdirSync(archive.dir).sort()).toEqual(['2026-03.jsonl', '2026-04.jsonl']);
    for (const filter of FILTERS) {
      for (const limit of [2, 9, 50]) {
        const want = reference(all, filter, null, Infinity);
        const seen: string[] = [];
        let after: IndexEntry | null = null;
        do {
          const page: Awaited<ReturnType<JobArchive['list']>> = await archive.list(filter, after, limit);
          expect(page.items.map((r) => r.id), JSON.stringify({ filter, limit, after })).toEqual(reference(all, filter, after, limit));
          expect(page.items.every((r) => r.archived === true)).toBe(true);
          seen.push(...page.items.map((r) => r.id));
          after = page.next;
        } while (after);
        expect(seen).toEqual(want);
      }
    }
  });

  it.each([
    ['oldest first', {}],
    ['shuffled', { shuffle: true, duplicate: 300 }],
  ])('keeps only what can be on the page while it reads a long month (%s)', async (_, opts) => {
    // 3,000 lines, five at a time created at once, and pages of 3: the scan drops overtaken
    // lines many times over, often next to a tie.
    const all = records(3000, 5);
    const archive = await archiveOf(all, opts);
    for (const filter of [{}, { status: 'failed' as const }, { characterId: CHARACTERS[0] }]) {
      let after: IndexEntry | null = null;
      for (let p = 0; p < 4; p++) {
        const page: Awaited<ReturnType<JobArchive['list']>> = await archive.list(filter, after, 3);
        expect(page.items.map((r) => r.id)).toEqual(reference(all, filter, after, 3));
        after = page.next;
      }
    }
  });

  it('returns the record of the last line of an id', async () => {
    const [first] = records(1);
    const archive = await archiveOf([first!]);
    await archive.append([{ ...first!, message: 'archived again' }]);
    expect((await archive.list({}, null, 10)).items).toEqual([expect.objectContaining({ id: first!.id, message: 'archived again' })]);
    expect(await archive.find(first!.id)).toMatchObject({ message: 'archived again', archived: true });
  });
});

describe('JobArchive.rewrite', () => {
  it('streams the months that hold a named record (past one write chunk) and leaves the others unwritten', async () => {
    // 3,000 records of about 600 bytes: the March file passes the 1 MiB write chunk.
    const all = records(3000).map((r) => ({ ...r, message: 'x'.repeat(450) }));
    const archive = await archiveOf(all);
    const files = fs.readdirSync(archive.dir).sort();
    const march = path.join(archive.dir, '2026-03.jsonl');
    const april = path.join(archive.dir, files[1]!);
    const before = { march: fs.readFileSync(march, 'utf8'), aprilIno: fs.statSync(april).ino, aprilText: fs.readFileSync(april, 'utf8') };
    expect(before.march.length).toBeGreaterThan(1 << 20);
    const named = all.filter((r) => r.created_at.startsWith('2026-03') && r.character_id === CHARACTERS[1]);
    expect(named.length).toBeGreaterThan(10);

    const changed = await archive.rewrite(new Set([...named.map((r) => r.id), 'generation-nothere']), (r) => ({ ...r, config: {}, purged_at: 'now' }));
    expect(changed).toBe(named.length);
    expect(fs.readdirSync(archive.dir).sort()).toEqual(files);
    expect(fs.statSync(april).ino).toBe(before.aprilIno);
    expect(fs.readFileSync(april, 'utf8')).toBe(before.aprilText);
    const after = fs.readFileSync(march, 'utf8').split('\n');
    const old = before.march.split('\n');
    expect(after).toHaveLength(old.length);
    const ids = new Set(named.map((r) => r.id));
    for (const [i, line] of old.entries()) {
      const id = line ? (JSON.parse(line) as JobRecord).id : '';
      if (ids.has(id)) expect(JSON.parse(after[i]!)).toMatchObject({ id, config: {}, purged_at: 'now' });
      else expect(after[i]).toBe(line);
    }
  });
});
