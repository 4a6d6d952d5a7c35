/**
 * Line access to large JSONL files without holding them: a streaming pass that reports where
 * each line sits (byte offset and length), and a read of chosen lines by those positions, so a
 * second look at a few lines of a million-line file costs a few reads, not another pass.
 */
import fs from 'node:fs';

/** Where a line sits in its file, without its newline. */
export interface LineSpan {
  at: number;
  bytes: number;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Calls `onLine` for every non-blank line (a trailing CR dropped), streaming; a synchronous
 * `false` answer stops the read, a promise is awaited before the next line.
 */
export async function eachLine(file: string, onLine: (line: string, span: LineSpan) => boolean | void | Promise<void>): Promise<void> {
  const input = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  let carry: Buffer = Buffer.alloc(0);
  let carryAt = 0;
  const emit = async (buf: Buffer, start: number, end: number): Promise<boolean> => {
    const text = buf.toString('utf8', start, end > start && buf[end - 1] === 13 ? end - 1 : end);
    if (!text.trim()) return true;
    const answer = onLine(text, { at: carryAt + start, bytes: end - start });
    if (answer instanceof Promise) await answer;
    return answer !== false;
  };
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        if (!(await emit(buf, start, nl))) return;
        start = nl + 1;
      }
      carryAt += start;
      carry = buf.subarray(start);
    }
    if (carry.length) await emit(carry, 0, carry.length);
  } finally {
    input.destroy();
  }
}

/** The text of each span, in the order given (a trailing CR dropped). */
export async function readSpans(file: string, spans: readonly LineSpan[]): Promise<string[]> {
  if (spans.length === 0) return [];
  const fh = await fs.promises.open(file, 'r');
  try {
    const out: string[] = [];
    for (const span of spans) {
      const buf = Buffer.alloc(span.bytes);
      const { bytesRead } = await fh.read(buf, 0, span.bytes, span.at);
      const end = bytesRead > 0 && buf[bytesRead - 1] === 13 ? bytesRead - 1 : bytesRead;
      out.push(buf.toString('utf8', 0, end));
    }
    return out;
  } finally {
    await fh.close();
  }
}
