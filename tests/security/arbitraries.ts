/**
 * fast-check arbitraries for hostile input: traversal strings, NUL and unicode, huge strings,
 * numbers at and just past every bound /api/info reports, NaN/Infinity as strings and as raw JSON
 * tokens (`1e999`), deep nesting, arrays where objects belong.
 */
import path from 'node:path';
import fc from 'fast-check';
import { MARK } from './support.js';

type Param = { type: string; min?: number; max?: number; options?: unknown[]; default?: unknown; wired?: boolean };
export interface Info {
  training: { parameters: Record<string, Param> };
  image_generation: { model_variants: string[]; toggles: Record<string, { supported: boolean }>; parameters: Record<string, Param> };
  captioning: { parameters: Record<string, Param> };
}

/** Raw JSON tokens ride inside strings as `\0RAW:<token>\0` and are spliced in by `serialise`. */
const rawToken = (token: string) => `\u0000RAW:${token}\u0000`;
export function serialise(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value).replace(/"\\u0000RAW:([^"\\]*)\\u0000"/g, '$1');
}

/** Valid JSON number tokens JS cannot hold exactly (1e999 → Infinity) and tokens JSON forbids. */
export const RAW_NUMBERS = ['1e999', '-1e999', '1e-999', '-0', '-0.0', '0e0', '1E+400', '9007199254740993', '123456789012345678901234567890', '1.0000000000000001'];
export const RAW_INVALID = ['NaN', 'Infinity', '-Infinity', 'undefined', '01', '+1', '.5', '0x10', '1e', '--1'];

/** The next double above (dir 1) or below (dir -1) x. */
export function nextAfter(x: number, dir: 1 | -1): number {
  if (Number.isNaN(x) || !Number.isFinite(x)) return x;
  if (x === 0) return dir * Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 === dir > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

/** Each bound, the doubles either side of it, ±1, ±0.5, ±epsilon. */
export function aroundBounds(bounds: number[]): number[] {
  const out = new Set<number>();
  for (const b of bounds) {
    const eps = Number.EPSILON * Math.max(1, Math.abs(b));
    for (const v of [b, nextAfter(b, 1), nextAfter(b, -1), b + 1, b - 1, b + 0.5, b - 0.5, b + eps, b - eps]) out.add(v);
  }
  return [...out];
}

/** Every numeric bound of the API: manifest parameters plus the other request fields. */
export function allBounds(info: Info): number[] {
  const params = [...Object.values(info.training.parameters), ...Object.values(info.image_generation.parameters)];
  const fromInfo = params.flatMap((p) => [p.min, p.max, ...(p.options ?? []).filter((o): o is number => typeof o === 'number')]);
  return [...fromInfo.filter((n): n is number => typeof n === 'number'), 0, 1, 4, 20, 100, 2000, 2001, Number.MAX_SAFE_INTEGER, 2 ** 32];
}

/** Strings aimed at paths: traversal plain and encoded, absolute paths, NUL, lookalikes, MARK for stray-file search. */
export function pathyStrings(sentinelFromVolume: string): string[] {
  const up = sentinelFromVolume.split(path.sep).join('/');
  return [
    '..', '../', '../..', '../../etc/passwd', '..\\..\\windows\\win.ini', '%2e%2e', '%2e%2e%2f', '%2e%2e%2f%2e%2e%2f', '..%2f..%2f', '%252e%252e%252f',
    '/etc/passwd', '/tmp', `/tmp/${MARK}`, `../../../../../../tmp/${MARK}`, `${up}/secret.txt`, `${up}/training-000000000000`,
    `../../${up}/training-000000000000`, `${MARK}/../../${MARK}`, 'C:\\Windows\\System32', '\\\\server\\share',
    'a\u0000b', '\u0000', `${MARK}\u0000.png`, 'img-000000000000.png\u0000.txt', 'char-000000000000\u0000', '.', '', ' ', '\t\n',
    '\u202etxt.png', '😀', 'ｃｈａｒ－０００', 'char-ÀÀÀÀÀÀÀÀÀÀÀÀ', '\ud800', '\udfff\ud800', 'ﬁ', 'İ', '\u0130\u0131',
    'char-000000000000/../char-000000000001', 'img-000000000000.png/..', 'training-000000000000/../../x', '~/.ssh/id_rsa', 'file:///etc/passwd',
    'CON', 'nul.png', '.git/config', '$(touch /tmp/' + MARK + ')', '`id`', "'; DROP TABLE jobs; --", '${jndi:ldap://x}', '<script>alert(1)</script>',
  ];
}

export function nastyStrings(ctx: { sentinelFromVolume: string }): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...pathyStrings(ctx.sentinelFromVolume)) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
    { weight: 1, arbitrary: fc.constantFrom(1, 2, 31, 32, 33, 99, 100, 101, 1999, 2000, 2001).map((n) => 'a'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 2000, 2001).map((n) => `  ${'b'.repeat(n)}  `) },
    { weight: 1, arbitrary: fc.integer({ min: 2002, max: 120_000 }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-0', '0x10', '1', 'true', 'null', '[]', '{}') },
  );
}

/** `[[[…0…]]]` or `{"a":{"a":…}}` of the given depth, built directly (no recursion in the generator). */
export function nestedValue(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

export function hostileValue(ctx: { bounds: number[]; sentinelFromVolume: string }): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: nastyStrings(ctx) },
    { weight: 4, arbitrary: fc.constantFrom(...aroundBounds(ctx.bounds)) },
    { weight: 1, arbitrary: fc.constantFrom(-0, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE, 2 ** 53, -(2 ** 53)) },
    { weight: 2, arbitrary: fc.double() },
    { weight: 1, arbitrary: fc.integer() },
    { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS).map(rawToken) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_INVALID).map(rawToken) },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 10, max: 400 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => nestedValue(d, k)) },
  );
}

