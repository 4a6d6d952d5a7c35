/**
 * Finished job records moved out of Redis (retention, `jobs prune`) live here, as JSONL on the
 * volume: one file per month of creation, `archive/jobs/YYYY-MM.jsonl`. Appends are fsynced
 * before the records leave Redis, so a crash in between leaves a duplicate (readers keep the
 * last line of an id), never a loss. Images, LoRAs and logs are not touched.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JobRecord } from '../jobs.js';
import { decodeRecord } from './job-store.js';
import { isAfter, newerFirst, scoreOf, type IndexEntry, type IndexFilter } from './job-index.js';
import { idsIn, newestCandidates } from './job-archive-scan.js';
import { eachLine, readSpans } from './jsonl-lines.js';
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
   * that holds one of them is streamed to a temp file, fsynced and renamed over the original, so
   * a crash leaves the old or the new file, never half of one, and a month of any size is never
   * held in memory whole; other records' lines are kept byte for byte, other months not written.
   */
  async rewrite(ids: ReadonlySet<string>, rewrite: (record: JobRecord) => JobRecord): Promise<number> {
    let changed = 0;
    // The line's record when it is one of `ids` (decoded only when its text names one of them).
    const named = (line: string): JobRecord | null => {
      if (!idsIn(line).some((id) => ids.has(id))) return null;
      const record = decodeRecord(line);
      return record && ids.has(record.id) ? record : null;
    };
    for (const month of await this.months()) {
      const file = path.join(this.dir, month);
      let holds = false;
      await eachLine(file, (line) => !(holds = named(line) !== null));
      if (!holds) continue;
      const tmp = `${file}.${process.pid}.tmp`;
      const fh = await fs.promises.open(tmp, 'w');
      let chunk: string[] = [];
      let chunkChars = 0;
      const flush = async () => {
        await fh.write(chunk.join(''));
        chunk = [];
        chunkChars = 0;
      };
      try {
        await eachLine(file, (line) => {
          let out = line;
          const record = named(line);
          if (record) {
            const { archived: _archived, ...plain } = rewrite(record);
            out = JSON.stringify(plain);
            changed++;
          }
          chunk.push(out + '\n');
          chunkChars += out.length + 1;
          // Only a full chunk waits for the disk; every other line goes on at once.
          if (chunkChars >= WRITE_CHUNK_CHARS) return flush();
        });
        await flush();
        await fh.datasync();
      } catch (err) {
        await fh.close();
        await fs.promises.rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
      await fs.promises.rename(tmp, file);
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
    await eachLine(path.join(this.dir, file), (line) => {
      if (keep(line)) addRecord(records, line);
    });
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
      items.push(...(await this.pageOfMonth(month, filter, after, limit + 1 - items.length)));
      if (items.length > limit) break;
    }
    const page = items.slice(0, limit);
    return { items: page, next: items.length > limit ? entryOf(page.at(-1)!) : null };
  }

  /**
   * The newest `want` records of one month that match. A month can hold a million lines, so only
   * the lines that can be on the page are decoded: a first pass reads each candidate's
   * `created_at` off its text, a second decodes the `want` newest (and every tie with the
   * last), and more only if decoding disqualified some.
   */
  private async pageOfMonth(month: string, filter: IndexFilter, after: IndexEntry | null, want: number): Promise<JobRecord[]> {
    const file = path.join(this.dir, month);
    const select = (records: Iterable<JobRecord>) =>
      [...records]
        .filter((r) => (!filter.type || r.type === filter.type) && (!filter.status || r.status === filter.status))
        .filter((r) => !filter.characterId || r.character_id === filter.characterId)
        .filter((r) => isAfter(entryOf(r), after))
        .sort((a, b) => newerFirst(entryOf(a), entryOf(b)));
    // Decoding can drop some (the cursor's own line, a duplicate line, a filter text inside
    // another field) and can add lines whose created_at could not be read off the text: then
    // take more. The cursor's line is always among the newest candidates, so it is counted in.
    for (let take = want + (after ? 1 : 0); ; take *= 2) {
      const { chosen, total, boundary } = await newestCandidates(file, filter, after, take);
      const records = new Map<string, JobRecord>();
      for (const line of await readSpans(file, chosen)) addRecord(records, line);
      const page = select(records.values()).slice(0, want);
      // Every line left out is older than `boundary`, so a full page at or above it is the page.
      if (chosen.length === total || (page.length === want && scoreOf(page.at(-1)!) >= boundary)) return page;
    }
  }
}

const WRITE_CHUNK_CHARS = 1 << 20;

/** Decodes an archived line into `records` (a later line of the same id replaces an earlier one). */
function addRecord(records: Map<string, JobRecord>, line: string): void {
  const record = decodeRecord(line);
  if (record) records.set(record.id, { ...record, archived: true });
}
