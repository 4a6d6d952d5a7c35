/**
 * Typed client for internal tools: the tRPC client over AppRouter plus helpers for
 * the plain HTTP routes (logs, uploads) that tRPC does not carry.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, type TRPCClient } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource, type FetchLike } from 'eventsource';
import type { AppRouter } from '../server/routers/index.js';
import { isTerminal, type JobRecord } from '../shared/jobs.js';
import { apiPath, type ErrorBody, type UploadResult } from '../shared/http-api.js';
import { parseJobLogLine, type JobLogLine } from '../shared/job-log.js';
import { MAX_BATCH_ITEMS } from '../shared/limits.js';

export type { JobLogLine, UploadResult };

export type IsengardClient = TRPCClient<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export interface Connection {
  /** Server origin, e.g. http://127.0.0.1:8000 (no /api suffix). */
  url: string;
  token?: string;
}

export interface ClientOptions extends Connection {
  /** Sent on every request; otherwise each request gets its own `tool-<uuid>`. */
  correlationId?: string;
}

/** A plain-route (non-tRPC) failure, carrying the server's `{error}` sentence. */
export class IsengardHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: { param: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'IsengardHttpError';
  }
}

const origin = (url: string) => url.replace(/\/+$/, '');
const correlationFor = (given?: string) => given ?? `tool-${randomUUID()}`;

function authHeaders(conn: Connection, correlationId?: string): Record<string, string> {
  return {
    'X-Correlation-ID': correlationFor(correlationId),
    ...(conn.token ? { Authorization: `Bearer ${conn.token}` } : {}),
  };
}

export function createIsengardClient(opts: ClientOptions): IsengardClient {
  const trpcUrl = `${origin(opts.url)}/api/trpc`;
  // EventSource cannot set headers itself; its fetch hook can, which is how the token travels.
  const sseFetch: FetchLike = (url, init) =>
    fetch(url, { ...init, headers: { ...init.headers, ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}) } });
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: trpcUrl,
          EventSource,
          eventSourceOptions: { fetch: sseFetch },
          // SSE requests carry no custom headers, so the server reads the id from here.
          connectionParams: () => ({ correlationId: correlationFor(opts.correlationId) }),
        }),
        false: httpBatchLink({ url: trpcUrl, maxItems: MAX_BATCH_ITEMS, headers: () => authHeaders(opts, opts.correlationId) }),
      }),
    ],
  });
}

export interface WaitOptions {
  onUpdate?: (record: JobRecord) => void;
  signal?: AbortSignal;
  /** Give up when the stream cannot reconnect for this long (the SSE link retries forever). */
  reconnectTimeoutMs?: number;
}

/** Follows jobs.onUpdate until the job is terminal; resolves with that record. */
export async function waitForJob(client: IsengardClient, id: string, opts: WaitOptions = {}): Promise<JobRecord> {
  const { signal, onUpdate, reconnectTimeoutMs = 30_000 } = opts;
  // Errors raised inside the server's stream reach the SSE link as retryable 500s, which it would
  // retry forever; asking once first turns an unknown id into a plain NOT_FOUND.
  await client.jobs.get.query({ id }, { signal });
  return new Promise<JobRecord>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let last: JobRecord | undefined;
    let reconnecting = false;
    let lostTimer: NodeJS.Timeout | undefined;
    let done = false;
    const settle = (fn: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(lostTimer);
      signal?.removeEventListener('abort', onAbort);
      // Deferred: the link may still be inside the subscribe() call or the callback that settled us.
      queueMicrotask(() => sub.unsubscribe());
      fn();
    };
    const onAbort = () => settle(() => reject(signal?.reason));
    const sub = client.jobs.onUpdate.subscribe(
      { jobId: id },
      {
        onData(record) {
          last = record;
          onUpdate?.(record);
          if (isTerminal(record.status)) settle(() => resolve(record));
        },
        onError: (err) => settle(() => reject(err)),
        onComplete() {
          // The server ends the stream after a terminal record, which onData already handled.
          if (!last || !isTerminal(last.status)) settle(() => reject(new Error(`Update stream for job '${id}' ended early`)));
        },
        onConnectionStateChange(state) {
          if (state.state === 'connecting' && state.error) {
            const status = (state.error.data as { httpStatus?: number } | undefined)?.httpStatus;
            // The server answered and refused (4xx): retrying cannot help.
            if (status !== undefined && status < 500) return settle(() => reject(state.error));
            if (reconnecting) return;
            reconnecting = true;
            const error = state.error;
            lostTimer = setTimeout(() => settle(() => reject(error)), reconnectTimeoutMs);
          } else if (state.state === 'pending') {
            reconnecting = false;
            clearTimeout(lostTimer);
          }
        },
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function failure(res: Response): Promise<IsengardHttpError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<ErrorBody>;
    return new IsengardHttpError(res.status, body.error ?? `HTTP ${res.status}`, body.issues);
  } catch {
    return new IsengardHttpError(res.status, text.trim() || `HTTP ${res.status}`);
  }
}

/** The logs route's response, checked; `follow` keeps it open until the job is terminal. */
async function openLogs(conn: Connection, id: string, opts: { follow?: boolean; signal?: AbortSignal }): Promise<Response> {
  const query = opts.follow ? '?follow=1' : '';
  const res = await fetch(`${origin(conn.url)}${apiPath('jobLogs', { jobId: id })}${query}`, {
    headers: authHeaders(conn),
    signal: opts.signal,
  });
  if (!res.ok || !res.body) throw await failure(res);
  return res;
}

/** Streams a job's JSONL log into `file` without holding it in memory; returns bytes written. */
export async function downloadJobLogs(
  conn: Connection,
  id: string,
  file: string,
  opts: { follow?: boolean; signal?: AbortSignal } = {},
): Promise<{ path: string; bytes: number }> {
  const res = await openLogs(conn, id, opts);
  await fs.promises.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), fs.createWriteStream(file));
  return { path: file, bytes: (await fs.promises.stat(file)).size };
}

/** A job's log as it is now (the plain download), as parsed lines. */
export async function* streamJobLogs(conn: Connection, id: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<JobLogLine> {
  const res = await openLogs(conn, id, opts);
  const decoder = new TextDecoder();
  let carry = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    carry += decoder.decode(chunk, { stream: true });
    const lines = carry.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) yield parseJobLogLine(line);
  }
  if (carry.trim()) yield parseJobLogLine(carry);
}

/**
 * A job's log live, over the `jobs.onLog` subscription: every line so far, then each new one,
 * until the job is terminal. The SSE link resumes a dropped stream at the last byte offset it
 * saw, so no line comes twice; a server that stays away longer than `reconnectTimeoutMs`, or one
 * that refuses the request (4xx), ends it with that error.
 */
export async function* followJobLogs(
  client: IsengardClient,
  id: string,
  opts: { signal?: AbortSignal; reconnectTimeoutMs?: number } = {},
): AsyncGenerator<JobLogLine> {
  const { signal, reconnectTimeoutMs = 30_000 } = opts;
  // A 404 arrives as a retried connection error otherwise: ask once first (see waitForJob).
  await client.jobs.get.query({ id }, { signal });
  const batches: JobLogLine[][] = [];
  let finished = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  let lostTimer: NodeJS.Timeout | undefined;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const end = (err?: unknown) => {
    if (err !== undefined && failure === null) failure = err;
    finished = true;
    notify();
  };
  const onAbort = () => end(signal?.reason);
  const sub = client.jobs.onLog.subscribe(
    { jobId: id },
    {
      onData(event) {
        batches.push(event.data.lines);
        notify();
      },
      onError: (err) => end(err),
      onComplete: () => end(),
      onConnectionStateChange(state) {
        if (state.state === 'connecting' && state.error) {
          const status = (state.error.data as { httpStatus?: number } | undefined)?.httpStatus;
          if (status !== undefined && status < 500) return end(state.error);
          const error = state.error;
          lostTimer ??= setTimeout(() => end(error), reconnectTimeoutMs);
        } else if (state.state === 'pending') {
          clearTimeout(lostTimer);
          lostTimer = undefined;
        }
      },
    },
  );
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const batch = batches.shift();
      if (batch) {
        yield* batch;
        continue;
      }
      if (failure !== null) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    clearTimeout(lostTimer);
    signal?.removeEventListener('abort', onAbort);
    sub.unsubscribe();
  }
}

/** Multipart upload of local files to a character's dataset; the server judges each by content. */
export async function uploadImages(conn: Connection, characterId: string, files: readonly string[]): Promise<UploadResult> {
  const form = new FormData();
  for (const file of files) form.append('images', await fs.openAsBlob(file), path.basename(file));
  const res = await fetch(`${origin(conn.url)}${apiPath('characterImages', { id: characterId })}`, {
    method: 'POST',
    headers: authHeaders(conn),
    body: form,
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as UploadResult;
}
