/**
 * Streams a file from disk with HEAD and single-range `Range` support (206/416). Never buffers
 * the whole file.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

export type ByteRange = { start: number; end: number };

/** Parses `bytes=a-b`, `bytes=a-`, `bytes=-n`; null = ignore header; 'unsatisfiable' = 416. */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'unsatisfiable' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  /** A path, or a handle opened already (volume files: see safe-path.ts); the caller closes a handle. */
  file: string | FileHandle,
  headers: Record<string, string>,
  stat: fs.Stats,
): Promise<void> {
  const range = parseRange(req.headers.range, stat.size);
  const base = { ...headers, 'Accept-Ranges': 'bytes', 'Last-Modified': stat.mtime.toUTCString() };
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...base, 'Content-Range': `bytes */${stat.size}` });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: stat.size - 1 };
  const length = stat.size === 0 ? 0 : end - start + 1;
  res.writeHead(range ? 206 : 200, {
    ...base,
    'Content-Length': String(length),
    ...(range ? { 'Content-Range': `bytes ${start}-${end}/${stat.size}` } : {}),
  });
  if (req.method === 'HEAD' || length === 0) {
    res.end();
    return;
  }
  await pipeline(typeof file === 'string' ? fs.createReadStream(file, { start, end }) : file.createReadStream({ start, end, autoClose: false }), res);
}
