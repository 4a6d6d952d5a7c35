/**
 * Random hex for ids (`generation-…`, correlation ids, character and image names), cut from a
 * buffer the CSPRNG refills 4 KiB at a time: one randomBytes call per id cost more than the id is
 * worth on the enqueue path (bench/enqueue.bench.ts). Node's randomUUID batches the same way.
 * Every byte is handed out once. Not for secrets that outlive the process (session ids keep their
 * own randomBytes).
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > pool.length) throw new RangeError(`randomHex: ${bytes} bytes`);
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
