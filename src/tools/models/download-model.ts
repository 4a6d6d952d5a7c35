/**
 * Fetches one model file into `<folder>/<name>.part`, then checks size and sha256 and renames it.
 * An interrupted download keeps its `.part` and the next run continues it with an HTTP Range
 * request (the hash is rebuilt from the bytes already on disk). A part that can never become the
 * right file (404, checksum or size mismatch, disk full, a server that refuses the range) is
 * deleted; nothing else on disk is touched.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import path from 'node:path';
import { targetPath, type ModelEntry } from '../../shared/node/models-manifest.js';

export class DownloadError extends Error {
  constructor(
    message: string,
    /** The `.part` was kept because a later run can continue it. */
    readonly resumable = false,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadProgress {
  name: string;
  received: number;
  total: number | null;
}

export interface DownloadOptions {
  comfyuiDir: string;
  /** Sent as a Bearer token for gated entries only. */
  hfToken?: string;
  log(line: string): void;
  onProgress?(p: DownloadProgress): void;
  /** A connection that delivers nothing for this long is dropped (the .part is kept). Default 60 s. */
  idleTimeoutMs?: number;
}

export type DownloadResult = { path: string; warning?: string };

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} B`;
}

/** The real error behind fetch's "fetch failed" / "terminated". */
function rootCause(err: unknown): { code?: string; message: string } {
  let e = err as { message?: string; code?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return { code: e?.code, message: e?.message || e?.code || String(err) };
}

async function hashExisting(file: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

function refusedMessage(entry: ModelEntry, status: number): string {
  const licence = entry.licence_url ? ` and that its account accepted the licence at ${entry.licence_url}` : '';
  if (entry.gated) return `${entry.url} answered ${status}: check that HF_TOKEN is a valid read token${licence}`;
  return `${entry.url} answered ${status} (access refused)`;
}

export async function downloadModel(entry: ModelEntry, opts: DownloadOptions): Promise<DownloadResult> {
  const final = targetPath(opts.comfyuiDir, entry);
  const part = `${final}.part`;
  if (entry.gated && !opts.hfToken) {
    const licence = entry.licence_url ? `, accept the licence at ${entry.licence_url}` : '';
    throw new DownloadError(`${entry.name} is gated on Hugging Face: set HF_TOKEN to a read token${licence}, then run ./start.sh models again`);
  }
  mkdirSync(path.dirname(final), { recursive: true });
  const discard = () => rmSync(part, { force: true });

  let have = existsSync(part) ? statSync(part).size : 0;
  if (entry.size !== null && have > entry.size) {
    discard();
    have = 0;
  }
  if (entry.size !== null) {
    const need = entry.size - have;
    const free = freeBytes(path.dirname(final));
    if (need > free) {
      throw new DownloadError(`not enough disk space for ${entry.name} in ${path.dirname(final)}: needs ${formatBytes(need)}, ${formatBytes(free)} free`, have > 0);
    }
  }

  const headers: Record<string, string> = { 'user-agent': 'isengard-models' };
  if (have > 0) headers.range = `bytes=${have}-`;
  // fetch drops Authorization on a cross-origin redirect (the CDN URL Hugging Face redirects to is signed).
  if (entry.gated && opts.hfToken) headers.authorization = `Bearer ${opts.hfToken}`;

  // A stalled CDN connection would otherwise hang the pod set-up forever.
  const idle = new IdleWatch(opts.idleTimeoutMs ?? 60_000);
  try {
    return await transfer({ entry, opts, final, part, have, headers, idle, discard });
  } finally {
    idle.stop();
  }
}

/** Aborts its signal when `touch()` has not been called for `ms`. */
class IdleWatch {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  constructor(readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(), this.ms);
  }
  stop(): void {
    clearTimeout(this.timer);
  }
}

interface Transfer {
  entry: ModelEntry;
  opts: DownloadOptions;
  final: string;
  part: string;
  have: number;
  headers: Record<string, string>;
  idle: IdleWatch;
  discard(): void;
}

async function transfer(t: Transfer): Promise<DownloadResult> {
  const { entry, opts, final, part, headers, idle, discard } = t;
  let have = t.have;
  const stalledText = (cause: { message: string }) => (idle.signal.aborted ? `no data for ${Math.round(idle.ms / 1000)} s` : cause.message);
  let res: Response;
  try {
    res = await fetch(entry.url, { headers, redirect: 'follow', signal: idle.signal });
  } catch (err) {
    throw new DownloadError(`could not reach ${entry.url}: ${stalledText(rootCause(err))}`, have > 0);
  }

  if (res.status === 416 && have > 0) {
    await res.body?.cancel();
    if (entry.size === null || have !== entry.size) {
      discard();
      throw new DownloadError(`${entry.url} refused to continue the partial download (416); the partial file was removed, run again to start over`);
    }
    // The part already holds every byte: only the checks remain.
  } else if (!res.ok) {
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) throw new DownloadError(refusedMessage(entry, res.status), have > 0);
    if (res.status === 404 || res.status === 410) {
      discard();
      throw new DownloadError(`${entry.url} answered ${res.status} ${res.statusText || 'Not Found'}: the file is not at that address (fix the URL in the models list)`);
    }
    throw new DownloadError(`${entry.url} answered ${res.status} ${res.statusText}`.trim(), have > 0);
  }

  const hash = createHash('sha256');
  if (res.ok) {
    const range = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (have > 0 && !(res.status === 206 && range && Number(range[1]) === have)) {
      opts.log(`${entry.name}: the server does not continue partial downloads; starting over`);
      have = 0;
    }
    if (have > 0) {
      opts.log(`${entry.name}: continuing after ${formatBytes(have)}`);
      await hashExisting(part, hash);
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    const total = entry.size ?? (Number.isFinite(length) ? have + length : null);
    let received = have;
    // One awaited write per chunk (not a stream pipeline, whose teardown drops buffered writes):
    // when the connection breaks, every byte received is in the .part and the next run resumes there.
    const out = await open(part, have > 0 ? 'a' : 'w');
    try {
      for await (const chunk of Readable.fromWeb(res.body as WebReadableStream<Uint8Array>)) {
        idle.touch();
        await out.write(chunk as Buffer);
        hash.update(chunk as Buffer);
        received += (chunk as Buffer).length;
        opts.onProgress?.({ name: entry.name, received, total });
      }
    } catch (err) {
      const cause = rootCause(err);
      if (cause.code === 'ENOSPC' || cause.code === 'EDQUOT') {
        await out.close();
        discard();
        throw new DownloadError(`disk full while writing ${entry.name} to ${path.dirname(final)}; the partial file was removed`);
      }
      throw new DownloadError(`download of ${entry.name} was interrupted after ${formatBytes(received)} (${stalledText(cause)}); run ./start.sh models again to continue it`, true);
    } finally {
      await out.close().catch(() => undefined);
    }
  } else {
    await hashExisting(part, hash);
  }

  const got = statSync(part).size;
  if (entry.size !== null && got < entry.size) {
    throw new DownloadError(`download of ${entry.name} ended early at ${formatBytes(got)} of ${formatBytes(entry.size)}; run ./start.sh models again to continue it`, true);
  }
  if (entry.size !== null && got > entry.size) {
    discard();
    throw new DownloadError(`${entry.name} is ${got} bytes, the models list says ${entry.size}; the file was removed`);
  }
  const digest = hash.digest('hex');
  let warning: string | undefined;
  if (entry.sha256 === null) {
    warning = `${entry.name}: no sha256 is known for it, only its size was checked (sha256 ${digest})`;
  } else if (digest !== entry.sha256) {
    discard();
    throw new DownloadError(`${entry.name} checksum mismatch (got ${digest}, want ${entry.sha256}); the file was removed`);
  }
  renameSync(part, final);
  return { path: final, warning };
}
