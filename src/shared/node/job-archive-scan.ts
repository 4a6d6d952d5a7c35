/**
 * Reading archived job lines by their text, before (or instead of) decoding them. Lines are
 * written by JSON.stringify, which puts no space around ':' and escapes every quote inside a
 * string: a record's own `"status":"failed"` is always in its line and a prompt cannot forge
 * one. The same text inside another field can only add a candidate, which decoding then drops.
 */
import type { IndexEntry, IndexFilter } from './job-index.js';
import { eachLine, type LineSpan } from './jsonl-lines.js';

/** Texts every line of a record matching the filter contains. */
export function filterNeedles(filter: IndexFilter): string[] {
  const out: string[] = [];
  if (filter.type) out.push(`"type":${JSON.stringify(filter.type)}`);
  if (filter.status) out.push(`"status":${JSON.stringify(filter.status)}`);
  if (filter.characterId) out.push(`"character_id":${JSON.stringify(filter.characterId)}`);
  return out;
}

const CREATED_AT = '"created_at":"';

/** The record's score read off its text, or NaN when the text holds no or more than one `created_at`. */
export function scoreInText(line: string): number {
  const at = line.indexOf(CREATED_AT);
  if (at < 0 || line.includes(CREATED_AT, at + 1)) return NaN;
  const from = at + CREATED_AT.length;
  return Date.parse(line.slice(from, line.indexOf('"', from)));
}

/** Every value of an `"id"` key in a line's text (the record's own id among them). */
export function idsIn(line: string): string[] {
  const out: string[] = [];
  for (let at = line.indexOf('"id":"'); at >= 0; at = line.indexOf('"id":"', at + 1)) {
    const from = at + 6;
    out.push(line.slice(from, line.indexOf('"', from)));
  }
  return out;
}

/**
 * One pass over a month file: the lines that may match the filter and are not newer than
 * `after` (`total` of them), of which `chosen` (in file order) are the `take` newest, every
 * tie with the last of those (whose score is `boundary`, or -Infinity when all are chosen) and
 * every line whose score could not be read. Memory stays within a few `take` lines' positions
 * whatever the file's size or order.
 */
export async function newestCandidates(file: string, filter: IndexFilter, after: IndexEntry | null, take: number): Promise<{ chosen: LineSpan[]; total: number; boundary: number }> {
  const needles = filterNeedles(filter);
  let kept: { score: number; span: LineSpan }[] = [];
  let threshold = -Infinity; // every line dropped so far is older than this
  let compactAt = 2 * take + 1024;
  let total = 0;
  await eachLine(file, (line, span) => {
    if (!needles.every((n) => line.includes(n))) return;
    const score = scoreInText(line);
    if (after && score > after.score) return;
    total++;
    if (score < threshold) return;
    kept.push({ score, span });
    // Now and then keep only what can still be among the newest `take` (NaN: always kept).
    if (kept.length > compactAt) {
      threshold = nthNewest(kept, take);
      kept = kept.filter((k) => !(k.score < threshold));
      // Lines whose score could not be read stay: never compact again before the list doubles.
      compactAt = Math.max(compactAt, 2 * kept.length);
    }
  });
  const scored = kept.filter((k) => !Number.isNaN(k.score)).length;
  const boundary = scored > take || threshold > -Infinity ? nthNewest(kept, take) : -Infinity;
  return { chosen: kept.filter((k) => !(k.score < boundary)).map((k) => k.span), total, boundary };
}

/** The `n`th largest score among `kept` (NaN left out), or -Infinity when there are fewer. */
function nthNewest(kept: readonly { score: number }[], n: number): number {
  const scores = kept.map((k) => k.score).filter((x) => !Number.isNaN(x));
  if (scores.length < n) return -Infinity;
  return scores.sort((a, b) => b - a)[n - 1]!;
}
