/**
 * Finished job records moved out of Redis (retention, `jobs prune`) live here, as JSONL on the
 * volume: one file per month of creation, `archive/jobs/YYYY-MM.jsonl`. Appends are fsynced
 * before the records leave Redis, so a crash in between leaves a duplicate (readers keep the
 * last line of an id), never a loss. Images, LoRAs and logs are not touched.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import type { JobRecord } from '../jobs.js';
import { decodeRecord } from './job-store.js';
import { isAfter, newerFirst, scoreOf, type IndexEntry, type IndexFilter } from './job-index.js';
import type { VolumePaths } from './volume.js';

/** Where the archive lives on the volume. */
export const jobArchiveDir = (paths: VolumePaths): string => paths.under('archive', 'jobs');

const MONTH_FILE = /^\d{4}-\d{2}\.jsonl$/;
const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);
const entryOf = (r: JobRecord): IndexEntry => ({ score: scoreOf(r), id: r.id });

export class JobArchive {
  constructor(readonly dir: string) {}

  /** Appends and fsyncs; returns once the records are on disk. */
  async append(records: readonly JobRecord[]): Promise<void> {
    if (records.length === 0) return;
    await fs.promises.mkdir(this.dir, { recursive: true });
    const byMonth = new Map<string, string[]>();
    for (const r of records) {
      const { archived: _archived, ...plain } = r;
      const month = monthOf(scoreOf(r));
      (byMonth.get(month) ?? byMonth.set(month, []).get(month)!).push(JSON.stringify(plain) + '\n');
    }
    for (const [month, lines] of byMonth) {
      const fh = await fs.promises.open(path.join(this.dir, `${month}.jsonl`), 'a');
      try {
        await fh.write(lines.join(''));
        await fh.datasync();
      } finally {
        await fh.close();
      }
    }
  }

  /**
   * Replaces every line of the records in `ids` with `rewrite(record)` (a purge). Each month file
   * that changes is rewritten to a temp file, fsynced and renamed over the original, so a crash
   * leaves the old or the new file, never half of one; other lines are kept as they were.
   */
  async rewrite(ids: ReadonlySet<string>, rewrite: (record: JobRecord) => JobRecord): Promise<number> {
    let changed = 0;
    for (const month of await this.months()) {
      const file = path.join(this.dir, month);
      const lines = (await fs.promises.readFile(file, 'utf8')).split('\n');
      let hits = 0;
      const out = lines.map((line) => {
        const record = line.trim() ? decodeRecord(line) : null;
        if (!record || !ids.has(record.id)) return line;
        hits++;
        const { archived: _archived, ...plain } = rewrite(record);
        return JSON.stringify(plain);
      });
      if (hits === 0) continue;
      const tmp = `${file}.${process.pid}.tmp`;
      const fh = await fs.promises.open(tmp, 'w');
      try {
        await fh.write(out.join('\n'));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, file);
      changed += hits;
    }
    return changed;
  }

  /** Newest month first. */
  private async months(): Promise<string[]> {
    const names = await fs.promises.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => MONTH_FILE.test(n)).sort().reverse();
  }

  /** Every record of one month file, one per id (the last line wins), matching `keep`. */
  private async readMonth(file: string, keep: (line: string) => boolean = () => true): Promise<Map<string, JobRecord>> {
    const records = new Map<string, JobRecord>();
    const input = fs.createReadStream(path.join(this.dir, file), { encoding: 'utf8' });
    const lines = readline.createInterface({ input, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (!keep(line)) return;
      const record = decodeRecord(line);
      if (record) records.set(record.id, { ...record, archived: true });
    });
    await once(lines, 'close');
    return records;
  }

  async find(id: string): Promise<JobRecord | null> {
    const needle = `"id":${JSON.stringify(id)}`;
    for (const month of await this.months()) {
      const found = (await this.readMonth(month, (line) => line.includes(needle))).get(id);
      if (found) return found;
    }
    return null;
  }

  /** Newest first after `after`, like the Redis indexes: a page and where the next one starts. */
  async list(filter: IndexFilter, after: IndexEntry | null, limit: number): Promise<{ items: JobRecord[]; next: IndexEntry | null }> {
    const items: JobRecord[] = [];
    const startMonth = after ? monthOf(after.score) : null;
    for (const month of await this.months()) {
      if (startMonth && month.slice(0, 7) > startMonth) continue;
      const matching = [...(await this.readMonth(month)).values()]
        .filter((r) => (!filter.type || r.type === filter.type) && (!filter.status || r.status === filter.status))
        .filter((r) => !filter.characterId || r.character_id === filter.characterId)
        .filter((r) => isAfter(entryOf(r), after))
        .sort((a, b) => newerFirst(entryOf(a), entryOf(b)));
      items.push(...matching.slice(0, limit + 1 - items.length));
      if (items.length > limit) break;
    }
    const page = items.slice(0, limit);
    return { items: page, next: items.length > limit ? entryOf(page.at(-1)!) : null };
  }
}
