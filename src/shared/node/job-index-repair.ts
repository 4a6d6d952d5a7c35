/**
 * Rebuilds the job indexes from the records, for when they drifted (a crash between writes of an
 * older version, a hand edit, a restore) and to move the indexes of earlier versions over.
 * Each job is fixed by one Lua script that checks the record is still what was read, so a repair
 * can run while jobs change.
 */
import type { Redis } from 'ioredis';
import { decodeRecord, JOB_KEY_PREFIX, jobKey } from './job-store.js';
import { FIX_INDEX_SCRIPT, INDEX_PREFIX, indexKeysOf, isIndexKey, scoreOf } from './job-index.js';
import { withRedis } from './redis.js';

export interface RepairReport {
  /** Jobs looked at: every record plus every id an index named. */
  checked: number;
  /** Index entries added, moved or dropped. */
  fixed: number;
  /** Records that are not valid job records (left in place, taken out of the indexes). */
  unreadable: string[];
}

const BATCH = 200;

async function scanKeys(redis: Redis, match: string, type?: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = type
      ? await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000, 'TYPE', type)
      : await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

export async function repairJobIndexes(redis: Redis): Promise<RepairReport> {
  return withRedis(async () => {
    const holders = new Map<string, Set<string>>();
    const hold = (id: string) => holders.get(id) ?? holders.set(id, new Set()).get(id)!;
    for (const key of (await scanKeys(redis, `${INDEX_PREFIX}*`, 'zset')).filter(isIndexKey)) {
      let cursor = '0';
      do {
        const [next, flat] = await redis.zscan(key, cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 0; i < flat.length; i += 2) hold(flat[i]!).add(key);
      } while (cursor !== '0');
    }
    for (const key of await scanKeys(redis, `${JOB_KEY_PREFIX}*`, 'string')) hold(key.slice(JOB_KEY_PREFIX.length));

    const report: RepairReport = { checked: holders.size, fixed: 0, unreadable: [] };
    const ids = [...holders.keys()];
    for (let i = 0; i < ids.length; i += BATCH) {
      for (const id of ids.slice(i, i + BATCH)) {
        for (let attempt = 0; ; attempt++) {
          const raw = (await redis.get(jobKey(id))) ?? '';
          const record = raw ? decodeRecord(raw) : null;
          if (raw && !record && attempt === 0) report.unreadable.push(id);
          const want = record && record.id === id ? indexKeysOf(record) : [];
          const keys = [...new Set([...holders.get(id)!, ...want])];
          const changed = (await redis.eval(
            FIX_INDEX_SCRIPT,
            1 + keys.length,
            jobKey(id),
            ...keys,
            id,
            raw,
            record ? scoreOf(record) : 0,
            want.length,
            ...want,
          )) as number;
          if (changed >= 0) {
            report.fixed += changed;
            break;
          }
          // The record changed under us: its new status indexes are what matter now.
          for (const key of want) holders.get(id)!.add(key);
          if (attempt > 20) throw new Error(`Job '${id}' kept changing during the index repair`);
        }
      }
    }
    return report;
  });
}
