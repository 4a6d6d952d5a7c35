import { describe, expect, it } from 'vitest';
import { acceptCorrelationId, getCorrelationId, runWithCorrelation } from './correlation.js';

describe('correlation ids', () => {
  it('accepts a valid header value', () => {
    expect(acceptCorrelationId('web-2b1c3d4e-aaaa-bbbb-cccc-123456789012')).toBe('web-2b1c3d4e-aaaa-bbbb-cccc-123456789012');
    expect(acceptCorrelationId('test-corr-12345')).toBe('test-corr-12345');
    expect(acceptCorrelationId('a.b:c_d-e')).toBe('a.b:c_d-e');
  });

  it.each([undefined, '', 'has space', 'x'.repeat(129), 'semi;colon', '<script>', 'ünï'])('replaces %j with api- + 12 hex', (value) => {
    expect(acceptCorrelationId(value)).toMatch(/^api-[0-9a-f]{12}$/);
  });

  it('flows through async work and does not leak out', async () => {
    expect(getCorrelationId()).toBeUndefined();
    const seen = await runWithCorrelation('corr-1', async () => {
      await new Promise((r) => setTimeout(r, 5));
      return getCorrelationId();
    });
    expect(seen).toBe('corr-1');
    expect(getCorrelationId()).toBeUndefined();
  });
});
