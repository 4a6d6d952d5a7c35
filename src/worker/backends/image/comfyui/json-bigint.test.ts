import { describe, expect, it } from 'vitest';
import { parseJsonBig, stringifyJsonBig } from './json-bigint.js';

describe('json-bigint', () => {
  it('keeps 2^64-1 exact and tells it apart from 2^64', () => {
    const parsed = parseJsonBig('{"a": 18446744073709551615, "b": 18446744073709551616}') as Record<string, unknown>;
    expect(parsed.a).toBe(18446744073709551615n);
    expect(parsed.b).toBe(18446744073709551616n);
  });

  it('leaves safe numbers, floats and digits inside strings alone', () => {
    const parsed = parseJsonBig('{"n": 42, "f": 1.5e3, "s": "99999999999999999999 \\" 123", "neg": -7}');
    expect(parsed).toEqual({ n: 42, f: 1500, s: '99999999999999999999 " 123', neg: -7 });
  });

  it('round-trips big integers as bare JSON numbers', () => {
    const text = stringifyJsonBig({ seed: 18446744073709551615n, list: [1, 9007199254740993n] });
    expect(text).toBe('{"seed":18446744073709551615,"list":[1,9007199254740993]}');
    expect(parseJsonBig(text)).toEqual({ seed: 18446744073709551615n, list: [1, 9007199254740993n] });
  });
});
