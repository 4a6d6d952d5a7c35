/**
 * tRPC over node:http. Plain calls (queries, and mutations whose JSON body has a known length
 * within the limit) that are single calls are answered by trpc-plain-call.ts; the other plain calls
 * (batches, and whatever it leaves, such as unknown paths and input that is not JSON) go through
 * `resolveResponse` from `@trpc/server/http`, the piece tRPC exports for adapters, with less work
 * per request than its node adapter does (bench/enqueue.bench.ts):
 * - the body is read here and handed to the fetch Request as text, not as a web ReadableStream;
 * - the request's AbortSignal fires only when the client goes away before the answer is written
 *   (the node adapter aborts it after every response, building a DOMException each time);
 * - an answer that is not a stream is written with one `res.end`, not piped through a WritableStream.
 * Everything else (subscriptions over SSE, streamed batches, bodies of unknown or excessive length,
 * other content types) goes through the node adapter itself, so its limits and errors apply as they are.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyTRPCRouter } from '@trpc/server';
import { createHTTPHandler, type CreateHTTPHandlerOptions } from '@trpc/server/adapters/standalone';
import { resolveResponse } from '@trpc/server/http';
import { AppError } from '../../shared/errors.js';
import { createPlainCall } from './trpc-plain-call.js';

type Options = CreateHTTPHandlerOptions<AnyTRPCRouter> & {
  basePath: string;
  maxBodySize: number;
  /** false: every plain call goes through resolveResponse (the comparison in trpc-plain-call.test.ts). */
  singleCalls?: boolean;
};

/** The body as text, once its declared length has arrived (node:http enforces that length). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.once('close', () => {
      if (!req.complete) reject(new AppError('BAD_REQUEST', 'The request body ended before its declared length'));
    });
  });
}

function toHeaders(incoming: IncomingMessage['headers']): Headers {
  const headers = new Headers();
  for (const key in incoming) {
    const value = incoming[key];
    if (Array.isArray(value)) for (const item of value) headers.append(key, item);
    else if (value !== undefined) headers.append(key, value);
  }
  return headers;
}

/** A call whose answer is one JSON document: not SSE, not a streamed (JSONL) batch, no body of unknown size. */
function isPlainCall(req: IncomingMessage, maxBodySize: number): boolean {
  const h = req.headers;
  if (h['trpc-accept'] !== undefined || (h.accept ?? '').includes('text/event-stream')) return false;
  if (req.method === 'GET') return true;
  if (req.method !== 'POST' || !(h['content-type'] ?? '').startsWith('application/json')) return false;
  const length = Number(h['content-length']);
  return h['transfer-encoding'] === undefined && Number.isSafeInteger(length) && length >= 0 && length <= maxBodySize;
}

export function createTrpcHandler(opts: Options): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const adapter = createHTTPHandler(opts);
  const { basePath, createContext, onError } = opts;
  const plainCall = opts.singleCalls === false ? null : createPlainCall(opts);

  return async (req, res, url) => {
    if (!isPlainCall(req, opts.maxBodySize)) {
      adapter(req, res);
      return;
    }
    const controller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (plainCall && (await plainCall(req, res, url, body, controller.signal))) return;
    const request = new Request(url, {
      method: req.method,
      headers: toHeaders(req.headers),
      body,
      signal: controller.signal,
    });
    const response = await resolveResponse({
      ...opts,
      req: request,
      path: url.pathname.slice(basePath.length),
      error: null,
      createContext: async ({ info }) => createContext?.({ req, res, info }),
      onError: (o) => onError?.({ ...o, req }),
    });
    res.statusCode = response.status;
    for (const [key, value] of response.headers) if (key !== 'set-cookie') res.setHeader(key, value);
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    if (response.headers.get('transfer-encoding') === 'chunked' || (response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      // Not expected for a plain call; written chunk by chunk all the same.
      const reader = response.body?.getReader();
      for (let part = await reader?.read(); part && !part.done && !res.destroyed; part = await reader!.read()) {
        if (!res.write(part.value)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      await reader?.cancel().catch(() => undefined);
      res.end();
      return;
    }
    res.end(response.body ? Buffer.from(await response.arrayBuffer()) : undefined);
  };
}
