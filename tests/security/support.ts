/**
 * Shared pieces of the security suites: raw HTTP (no client-side path normalisation), multipart
 * bodies built by hand, a genuine PNG decompression bomb, file-tree snapshots for "nothing
 * outside VOLUME_ROOT", and the invariants every response must satisfy.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'vitest';

export const MARK = 'zzfuzzmark';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/**
 * One request with the path sent byte for byte (fetch would resolve `..` itself). Reads at most
 * `maxBody` bytes, then hangs up: enough to judge any error body or the start of a stream.
 */
export function rawRequest(
  base: string,
  opts: {
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    maxBody?: number;
    timeoutMs?: number;
    /** For streams (SSE, log follow): hang up as soon as what arrived satisfies this. */
    until?: (text: string) => boolean;
    /** Source address, e.g. another loopback address (127.0.0.N) to be another client. */
    localAddress?: string;
  },
): Promise<RawResponse> {
  const url = new URL(base);
  const maxBody = opts.maxBody ?? 1024 * 1024;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: keepAlive, localAddress: opts.localAddress });
    const timer = setTimeout(() => req.destroy(new Error(`no response within ${opts.timeoutMs ?? 10_000} ms: ${opts.method ?? 'GET'} ${opts.path.slice(0, 200)}`)), opts.timeoutMs ?? 10_000);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      };
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        if (size >= maxBody || opts.until?.(Buffer.concat(chunks).toString('utf8'))) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', done);
    });
    req.end(opts.body);
  });
}

/** A hand-built multipart/form-data body: names, headers and bytes exactly as given. */
export interface Part {
  field?: string;
  filename?: string;
  /** Raw Content-Disposition parameters instead of `filename="…"` (e.g. `filename*=UTF-8''a%00b.png`). */
  disposition?: string;
  type?: string;
  data: Buffer | string;
}
export const BOUNDARY = 'isengard-security-boundary-7f3a';
export const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

export function partHead(p: Omit<Part, 'data'>): Buffer {
  const disposition = p.disposition ?? (p.filename !== undefined ? `filename="${p.filename}"` : '');
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.field ?? 'images'}"${disposition ? `; ${disposition}` : ''}\r\n` +
    (p.type === '' ? '' : `Content-Type: ${p.type ?? 'image/png'}\r\n`) + '\r\n';
  return Buffer.from(head, 'utf8');
}

export function multipart(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) chunks.push(partHead(p), Buffer.from(p.data), Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

export interface UploadReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: { uploaded?: { name: string; width: number; height: number; caption: string }[]; rejected?: { filename: string; reason: string }[]; error?: string; issues?: { param: string; message: string }[] };
}

export async function postUpload(base: string, characterId: string, body: Buffer, headers: Record<string, string> = {}): Promise<UploadReply> {
  const res = await rawRequest(base, {
    method: 'POST',
    path: `/api/characters/${characterId}/images`,
    headers: { 'content-type': MULTIPART, 'content-length': String(body.length), ...headers },
    body,
    timeoutMs: 30_000,
  });
  return { status: res.status, headers: res.headers, json: JSON.parse(res.text) as UploadReply['json'] };
}

/** PNG chunk: length, type, data, CRC over type + data. */
function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A complete, valid 1-bit greyscale PNG of side×side black pixels: ~110 KB on disk for
 * 30000×30000 (900 Mpx), because every row deflates to almost nothing. Rows are fed to zlib a
 * slice at a time, so making it never holds the raw image.
 */
export async function pngBomb(side = 30_000): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const rowBytes = 1 + Math.ceil(side / 8); // filter byte + packed pixels, all zero
  const rowsPerSlice = 1000;
  const slice = Buffer.alloc(rowBytes * rowsPerSlice);
  const deflate = zlib.createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const ended = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (let rows = 0; rows < side; rows += rowsPerSlice) {
    const n = Math.min(rowsPerSlice, side - rows);
    if (!deflate.write(slice.subarray(0, n * rowBytes))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.concat(out)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Every entry under `root` with size and mtime: equal snapshots = nothing created, changed or removed. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const st = fs.lstatSync(full);
      out.set(path.relative(root, full), `${entry.isDirectory() ? 'd' : 'f'}:${st.size}:${st.mtimeMs}`);
      if (entry.isDirectory()) walk(full, depth + 1);
    }
  };
  walk(root, 0);
  return out;
}

/**
 * A private parent for VOLUME_ROOT: `parent/volume` is the volume, `parent/sentinel` holds a
 * secret that no response may ever contain. Anything escaping the volume by `..` lands in parent.
 */
export function volumeSandbox(prefix: string) {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const volume = path.join(parent, 'volume');
  const sentinel = path.join(parent, 'sentinel');
  fs.mkdirSync(volume);
  fs.mkdirSync(sentinel);
  const secret = `sentinel-secret-${MARK}-${process.pid}`;
  fs.writeFileSync(path.join(sentinel, 'secret.txt'), secret);
  fs.writeFileSync(path.join(sentinel, 'training-000000000000.jsonl'), secret);
  const before = snapshotTree(sentinel);
  return {
    parent,
    volume,
    sentinel,
    secret,
    /** Only `volume` may change: the parent still has exactly its two folders, the sentinel is untouched. */
    assertNothingOutside() {
      expect(fs.readdirSync(parent).sort()).toEqual(['sentinel', 'volume']);
      expect(snapshotTree(sentinel)).toEqual(before);
      expect(strayMarkedFiles()).toEqual([]);
    },
    /** Call after the stack has stopped. */
    remove() {
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

/** Files whose *name* carries MARK in the usual escape targets (our inputs put MARK in names). */
export function strayMarkedFiles(): string[] {
  const dirs = new Set([os.tmpdir(), '/tmp', process.cwd(), '/']);
  const found: string[] = [];
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const e of entries) if (e.includes(MARK)) found.push(path.join(dir, e));
  }
  return found;
}

/** Open descriptors of this process (the API runs in it) that point into `dir`. */
export function openFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir)) out.push(target);
    } catch {
      /* closed meanwhile */
    }
  }
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function eventually(check: () => void | Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** The sentences a 400 may carry: the parameter or toggle by name, or a body that is not JSON. */
export const PARAM_SENTENCE = /^(Parameter|Toggle) '[^']*'/;
export const NOT_JSON = /^Request body is not valid JSON/;

type TrpcErrorShape = { message?: unknown; data?: { code?: unknown; httpStatus?: unknown; issues?: { param?: unknown; message?: unknown }[] } };

/**
 * A tRPC 400 (single or batched): every error carries a sentence naming its parameter and lists
 * issues that do too. `extra` admits a procedure's documented domain sentences.
 */
export function expectNamed400(text: string, what: string, extra: RegExp[] = [], opts: { requireError?: boolean } = {}): void {
  const parsed = JSON.parse(text) as { error?: TrpcErrorShape } | { error?: TrpcErrorShape; result?: unknown }[];
  const errors = (Array.isArray(parsed) ? parsed : [parsed]).map((p) => p.error).filter((e): e is TrpcErrorShape => e !== undefined);
  if (opts.requireError ?? true) expect(errors.length, `${what}: a 400 without an error body: ${text.slice(0, 300)}`).toBeGreaterThan(0);
  const ok = (m: unknown) => typeof m === 'string' && [PARAM_SENTENCE, NOT_JSON, ...extra].some((r) => r.test(m));
  for (const e of errors) {
    if (e.data?.httpStatus !== 400) continue;
    expect(ok(e.message), `${what}: 400 message does not name a parameter: ${JSON.stringify(e.message)}`).toBe(true);
    const issues = e.data.issues ?? [];
    expect(issues.length, `${what}: 400 without issues: ${text.slice(0, 300)}`).toBeGreaterThan(0);
    for (const issue of issues) {
      expect(typeof issue.param === 'string' && issue.param.length > 0, `${what}: issue without param: ${JSON.stringify(issue)}`).toBe(true);
      expect(ok(issue.message), `${what}: issue message does not name a parameter: ${JSON.stringify(issue.message)}`).toBe(true);
    }
  }
}

/** Status class check with the request in the message, so a fast-check counterexample is readable. */
export function expectNo5xx(status: number, what: string, text: string): void {
  expect(status, `${what} → ${status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(status, `${what} → ${status}`).toBeGreaterThanOrEqual(200);
}

/** Runs fast-check with a bounded run count; a failure's message carries the seed and path to replay. */
export const FC_RUNS = Number(process.env.SECURITY_FC_RUNS ?? 150);
export const fcParams = (numRuns = FC_RUNS) => ({
  numRuns,
  ...(process.env.SECURITY_FC_SEED ? { seed: Number(process.env.SECURITY_FC_SEED) } : {}),
  endOnFailure: true,
});
