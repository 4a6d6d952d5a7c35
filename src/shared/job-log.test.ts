import { describe, expect, it } from 'vitest';
import { isRawLogLine, parseJobLogLine, parseJobLogText } from './job-log.js';

const record = { ts: '2026-01-01T00:00:00.000Z', level: 'INFO', service: 'worker', job_id: 'training-0123456789ab', event: 'job.start', msg: 'Started', fields: { step: 1 } };

describe('parseJobLogLine', () => {
  it('returns a well-formed record as it is', () => {
    const line = parseJobLogLine(JSON.stringify(record));
    expect(line).toEqual(record);
    expect(isRawLogLine(line)).toBe(false);
  });

  it.each([
    ['not JSON', '{"ts":'],
    ['an array', '[1,2]'],
    ['a record without msg', JSON.stringify({ ...record, msg: undefined })],
    ['an unknown level', JSON.stringify({ ...record, level: 'TRACE' })],
    ['fields that are not an object', JSON.stringify({ ...record, fields: [1] })],
  ])('keeps %s as raw text', (_what, text) => {
    expect(parseJobLogLine(text)).toEqual({ raw: text });
  });

  it('parseJobLogText splits lines and skips blank ones', () => {
    const text = `${JSON.stringify(record)}\n\n  \nplain words\n`;
    expect(parseJobLogText(text)).toEqual([record, { raw: 'plain words' }]);
  });
});
