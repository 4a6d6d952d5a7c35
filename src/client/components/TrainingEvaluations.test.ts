import { describe, expect, it } from 'vitest';
import { parseStrengths } from './TrainingEvaluations.js';

describe('parseStrengths', () => {
  it('reads commas, spaces or semicolons; empty is no list (the server default); a stray word is refused', () => {
    expect(parseStrengths('0.6, 0.8, 1.0, 1.2')).toEqual([0.6, 0.8, 1, 1.2]);
    expect(parseStrengths(' 0.5 1;1.5 ')).toEqual([0.5, 1, 1.5]);
    expect(parseStrengths('')).toEqual([]);
    expect(parseStrengths('0.8, strong')).toBeNull();
  });
});
