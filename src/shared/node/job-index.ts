/**
 * Where a job record sits in the ZSET indexes, and the keyset cursor that pages through them.
 *
 * Every job is in exactly one global index, `jobs:{type}:{status}`, plus, when it belongs to a
 * character, `jobs:character:{id}:{type}:{status}`. Scores are creation times (ms); members with
 * the same score are ordered by id, so (score, id) is a total order shared by every index. A
 * filter selects the indexes it covers and pages are merged from them: O(page × indexes), never
 * O(history). One entry per job (and one small per-character entry) keeps Redis bytes low.
 */
import { JOB_STATUSES, JOB_TYPES, type JobRecord, type JobStatus, type JobType } from '../jobs.js';
import { KEY_PREFIX } from './redis.js';

export const INDEX_PREFIX = `${KEY_PREFIX}jobs:`;
export const statusIndexKey = (type: JobType, status: JobStatus) => `${INDEX_PREFIX}${type}:${status}`;
export const characterIndexKey = (characterId: string, type: JobType, status: JobStatus) =>
  `${INDEX_PREFIX}character:${characterId}:${type}:${status}`;
/** Indexes of earlier versions (one per type plus `all`); repair empties them into the current ones. */
export const LEGACY_INDEX_KEYS = [...JOB_TYPES, 'all'].map((t) => `${INDEX_PREFIX}${t}`);

const INDEX_KEY = new RegExp(
  `^${INDEX_PREFIX}(character:char-[0-9a-f]{12}:)?(${JOB_TYPES.join('|')}):(${JOB_STATUSES.join('|')})$`,
);
export const isIndexKey = (key: string): boolean => INDEX_KEY.test(key) || LEGACY_INDEX_KEYS.includes(key);

export const scoreOf = (record: Pick<JobRecord, 'created_at'>): number => Date.parse(record.created_at);

export function indexKeysOf(record: Pick<JobRecord, 'type' | 'status' | 'character_id'>): string[] {
  const keys = [statusIndexKey(record.type, record.status)];
  if (record.character_id) keys.push(characterIndexKey(record.character_id, record.type, record.status));
  return keys;
}

export interface IndexFilter {
  type?: JobType;
  status?: JobStatus;
  characterId?: string;
}

/** The indexes whose union is exactly the jobs matching the filter. */
export function indexKeysFor(filter: IndexFilter): string[] {
  const types = filter.type ? [filter.type] : JOB_TYPES;
  const statuses = filter.status ? [filter.status] : JOB_STATUSES;
  return types.flatMap((t) =>
    statuses.map((s) => (filter.characterId ? characterIndexKey(filter.characterId, t, s) : statusIndexKey(t, s))),
  );
}

/** A position in the (score, id) order: the last entry a page returned. */
export interface IndexEntry {
  score: number;
  id: string;
}

/** Newest first: a before b when a is newer, or as new with a larger id. */
export const newerFirst = (a: IndexEntry, b: IndexEntry): number =>
  b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export const isAfter = (entry: IndexEntry, cursor: IndexEntry | null): boolean =>
  !cursor || newerFirst(cursor, entry) < 0;

/**
 * Cursors are opaque strings to callers: `r:{ms}:{id}` continues in Redis, `a` starts the
 * archive and `a:{ms}:{id}` continues in it. A number is an offset (what earlier versions
 * returned), still accepted.
 */
export type JobCursor =
  | { where: 'redis'; after: IndexEntry | null }
  | { where: 'offset'; offset: number }
  | { where: 'archive'; after: IndexEntry | null };

export const CURSOR_PATTERN = /^(r:\d{1,15}:[a-z]+-[0-9a-f]{12}|a|a:\d{1,15}:[a-z]+-[0-9a-f]{12})$/;

export function decodeCursor(cursor: string | number | null | undefined): JobCursor {
  if (cursor === null || cursor === undefined) return { where: 'redis', after: null };
  if (typeof cursor === 'number') return cursor > 0 ? { where: 'offset', offset: cursor } : { where: 'redis', after: null };
  const [where, ms, id] = cursor.split(':');
  const after = ms !== undefined && id !== undefined ? { score: Number(ms), id } : null;
  return where === 'a' ? { where: 'archive', after } : { where: 'redis', after };
}

export const encodeCursor = (where: 'redis' | 'archive', entry: IndexEntry): string =>
  `${where === 'redis' ? 'r' : 'a'}:${entry.score}:${entry.id}`;

/**
 * Repair of one job's index membership, atomic against concurrent updates: it acts only if the
 * record is still exactly what the caller read (else -1, and the caller reads again).
 * KEYS[1] = record, KEYS[2..] = every index that holds or should hold the id.
 * ARGV = id, raw record read ('' = none), score, number of wanted keys, wanted keys…
 */
export const FIX_INDEX_SCRIPT = `
local raw = redis.call('GET', KEYS[1])
if (raw or '') ~= ARGV[2] then return -1 end
local want = {}
local n = tonumber(ARGV[4])
for i = 1, n do want[ARGV[4 + i]] = true end
local changed = 0
for i = 2, #KEYS do
  if not want[KEYS[i]] then changed = changed + redis.call('ZREM', KEYS[i], ARGV[1]) end
end
for k, _ in pairs(want) do
  local s = redis.call('ZSCORE', k, ARGV[1])
  if (not s) or tonumber(s) ~= tonumber(ARGV[3]) then
    redis.call('ZADD', k, ARGV[3], ARGV[1])
    changed = changed + 1
  end
end
return changed
`;

/** Create: the record only if new, then its indexes and the pub/sub message. */
export const CREATE_SCRIPT = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], ARGV[2], ARGV[3]) end
redis.call('PUBLISH', ARGV[4], ARGV[1])
return 1
`;
