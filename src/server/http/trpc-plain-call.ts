/**
 * One query (GET) or mutation (POST) that is not batched, answered the way tRPC's `resolveResponse`
 * answers it (its single-call branch, @trpc/server 11.19.0), with the pieces tRPC exports for
 * adapters, but without building a fetch Request and Response around it. On this 2-core box those
 * objects (web streams, Headers, two AbortSignals, a body read back out of a Response) cost about
 * a third of the CPU of an enqueue (bench/enqueue.bench.ts).
 *
 * Anything this does not answer itself before the procedure runs (an unknown path, a method the
 * procedure does not take, a subscription, input that is not JSON, a batch) is left to
 * `resolveResponse`, so its errors keep their exact wording. tests/integration/trpc-plain-call.test.ts
 * sends the same calls both ways and compares status, headers and body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyTRPCRouter } from '@trpc/server';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import {
  getErrorShape,
  getHTTPStatusCode,
  getProcedureAtPath,
  getTRPCErrorFromUnknown,
  isAsyncIterable,
  isObject,
  isPromise,
  transformTRPCResponse,
  TRPCError,
  type AnyProcedure,
  type ResponseMetaFn,
  type TRPCRequestInfo,
  type TRPCResponse,
} from '@trpc/server/unstable-core-do-not-import';

export interface PlainCallOptions {
  router: AnyTRPCRouter;
  basePath: string;
  createContext?: (opts: CreateHTTPContextOptions) => unknown;
  responseMeta?: ResponseMetaFn<AnyTRPCRouter>;
  onError?: (opts: { error: TRPCError; path: string; input: unknown; ctx: unknown; type: 'query' | 'mutation'; req: IncomingMessage }) => void;
}

const NOT_PARSED = Symbol('not parsed');

/** The call's input, or NOT_PARSED when it is not JSON (resolveResponse words that error). */
function inputOf(req: IncomingMessage, url: URL, body: string | undefined): unknown {
  try {
    if (req.method === 'POST') return JSON.parse(body ?? '');
    const raw = url.search === '' ? null : url.searchParams.get('input');
    return raw ? JSON.parse(raw) : undefined;
  } catch {
    return NOT_PARSED;
  }
}

/** resolveResponse refuses these in a plain JSON answer (UNSUPPORTED_MEDIA_TYPE; it names no path, this does). */
function isDataStream(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isAsyncIterable(value)) return true;
  return Object.values(value).some((v) => isPromise(v) || isAsyncIterable(v));
}

/** Search parameters a plain call may carry: GET's `input`; anything else goes to resolveResponse. */
function hasOnlyInput(url: URL, method: string): boolean {
  if (url.search === '') return true; // without building URLSearchParams, the common POST
  for (const key of url.searchParams.keys()) if (method !== 'GET' || key !== 'input') return false;
  return true;
}

export function createPlainCall(opts: PlainCallOptions) {
  const config = opts.router._def._config;
  const deserialize = config.transformer.input.deserialize;

  /** Answers the call and returns true, or returns false (nothing written) for resolveResponse to answer. */
  return async function plainCall(req: IncomingMessage, res: ServerResponse, url: URL, body: string | undefined, signal: AbortSignal): Promise<boolean> {
    const method = req.method ?? 'GET';
    // A JSONL (streamed) answer asked for: resolveResponse answers that, or refuses it unbatched.
    if (!hasOnlyInput(url, method) || (req.headers.accept ?? '').includes('application/jsonl')) return false;
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice(opts.basePath.length));
    } catch {
      return false;
    }
    if (path.includes(',')) return false;
    const procedure: AnyProcedure | null = await getProcedureAtPath(opts.router, path);
    const type = procedure?._def.type;
    if (!procedure || !((type === 'query' && method === 'GET') || (type === 'mutation' && method === 'POST'))) return false;
    const raw = inputOf(req, url, body);
    if (raw === NOT_PARSED) return false;
    const input: unknown = raw === undefined ? undefined : deserialize(raw);

    const call = { batchIndex: 0, path, procedure, getRawInput: async () => input, result: () => input };
    const info: TRPCRequestInfo = { isBatchCall: false, accept: null, calls: [call], type, connectionParams: null, signal, url };
    let ctx: unknown;
    let json: TRPCResponse;
    let error: TRPCError | undefined;
    try {
      ctx = await opts.createContext?.({ req, res, info });
      const data: unknown = await procedure({ path, getRawInput: call.getRawInput, ctx, type, signal, batchIndex: 0 });
      if (isDataStream(data)) {
        throw new TRPCError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Cannot use stream-like response in non-streaming request - use httpBatchStreamLink' });
      }
      json = { result: { data } };
    } catch (cause) {
      error = getTRPCErrorFromUnknown(cause);
      opts.onError?.({ error, path, input, ctx, type, req });
      json = { error: getErrorShape({ config, ctx, error, input, path, type }) };
    }

    const meta = opts.responseMeta?.({ ctx, info, paths: [path], type, data: [json], errors: error ? [error] : [], eagerGeneration: false }) ?? {};
    res.statusCode = meta.status ?? getHTTPStatusCode(json);
    res.setHeader('vary', 'trpc-accept, accept');
    res.setHeader('content-type', 'application/json');
    const headers = meta.headers instanceof Headers ? [...meta.headers.entries()] : Object.entries(meta.headers ?? {});
    for (const [key, value] of headers) {
      // As a fetch Headers would carry them: one line, values joined (Set-Cookie apart).
      if (typeof value === 'string') res.setHeader(key, value);
      else if (Array.isArray(value)) res.setHeader(key, key.toLowerCase() === 'set-cookie' ? value : value.join(', '));
    }
    res.end(JSON.stringify(transformTRPCResponse(config, json)));
    return true;
  };
}
