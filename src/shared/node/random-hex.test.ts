import { describe, expect, it } from 'vitest';
import { randomHex } from './random-hex.js';

describe('randomHex', () => {
  it('gives the asked number of bytes as lowercase hex, never the same id twice across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = randomHex(6);
      expect(id).toMatch(/^[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
    expect(randomHex(32)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('spreads over every hex digit in every position', () => {
    const digits = Array.from({ length: 12 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...randomHex(6)].forEach((d, p) => digits[p]!.add(d));
    for (const set of digits) expect(set.size).toBe(16);
  });

  it('refuses sizes it cannot serve', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(5000)).toThrow(RangeError);
  });
});
