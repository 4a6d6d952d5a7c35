import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../tests/helpers/test-config.js';
import { eachLine, readSpans, type LineSpan } from './jsonl-lines.js';

async function collect(file: string): Promise<{ lines: string[]; spans: LineSpan[] }> {
  const lines: string[] = [];
  const spans: LineSpan[] = [];
  await eachLine(file, (line, span) => {
    lines.push(line);
    spans.push(span);
  });
  return { lines, spans };
}

describe('eachLine / readSpans', () => {
  it('reads lines across 1 MiB chunks (multi-byte characters split by a chunk included), CRLF, blanks and no final newline', async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `{"n":${i},"text":"${'é€😀'.repeat(i % 97)}${'x'.repeat(300 + (i % 13))}"}`);
    const text = lines.map((l, i) => (i % 5 === 0 ? `${l}\r\n` : i % 7 === 0 ? `${l}\n\n   \n` : `${l}\n`)).join('') + '{"last":true}';
    expect(Buffer.byteLength(text)).toBeGreaterThan(2 * (1 << 20));
    const file = path.join(tempDir(), 'a.jsonl');
    fs.writeFileSync(file, text);

    const read = await collect(file);
    expect(read.lines).toEqual([...lines, '{"last":true}']);
    const picked = [2999, 0, 1234, 3000, 5];
    expect(await readSpans(file, picked.map((i) => read.spans[i]!))).toEqual(picked.map((i) => read.lines[i]));
  });

  it('stops at a false answer and waits for a promise', async () => {
    const file = path.join(tempDir(), 'b.jsonl');
    fs.writeFileSync(file, 'a\nb\nc\nd\n');
    const seen: string[] = [];
    await eachLine(file, (line) => {
      seen.push(line);
      return line !== 'b';
    });
    expect(seen).toEqual(['a', 'b']);
    const order: string[] = [];
    await eachLine(file, async (line) => {
      await new Promise((r) => setTimeout(r, 2));
      order.push(line);
    });
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });
});
