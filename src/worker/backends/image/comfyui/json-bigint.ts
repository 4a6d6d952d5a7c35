/**
 * JSON with exact big integers. ComfyUI seeds go up to 2^64−1, past Number.MAX_SAFE_INTEGER, and
 * `JSON.parse` would silently round them (2^64 and 2^64−1 parse to the same double), so integer
 * literals that do not fit a double exactly become `bigint` on the way in and plain digits on the
 * way out.
 */
const MARK = '\u0000bigint:';
const NUMBER_CHAR = /[0-9eE.+-]/;

export function parseJsonBig(text: string): unknown {
  let out = '';
  let last = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Skip the string so digits inside it are never touched.
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && NUMBER_CHAR.test(text[j]!)) j++;
      const token = text.slice(i, j);
      if (/^-?\d+$/.test(token) && !Number.isSafeInteger(Number(token))) {
        out += text.slice(last, i) + JSON.stringify(MARK + token);
        last = j;
      }
      i = j;
      continue;
    }
    i++;
  }
  out += text.slice(last);
  return JSON.parse(out, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value,
  );
}

export function stringifyJsonBig(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? MARK + v.toString() : v), space);
  // JSON.stringify escapes the NUL of the marker as \u0000.
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
