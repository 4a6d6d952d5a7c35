/**
 * `jobs.onUpdate` over SSE without tRPC's per-subscriber stream machinery. tRPC 11 runs each
 * subscriber's events through async generators, a web ReadableStream, a TransformStream, a
 * TextEncoderStream and a WritableStream (several promises and allocations per chunk), and
 * serializes the record once per subscriber: with 500 tabs on one job that, and the garbage it
 * leaves, was most of the time from a worker's publish to the last tab's event (bench/sse-fanout).
 * Here an update becomes one Buffer, written to every subscriber of the job.
 *
 * The bytes are tRPC 11's SSE wire format (sseStreamProducer and sseHeaders in @trpc/server's
 * resolveResponse), so httpSubscriptionLink cannot tell the difference: a `connected` event with
 * the client options, one `data:` event per record, `ping` events when idle, `return` at the end.
 * Only the plain case is served here; anything else (HEAD, a batch, input that is not a valid
 * `{jobId}`, an unknown job, a failed read) goes on to tRPC, which answers it as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JOB_ID_PATTERN } from '../../shared/jobs.js';
import type { JobUpdate } from '../services/job-watch-hub.js';
import type { JobsService } from '../services/jobs.service.js';

export interface SseOptions {
  /** tRPC's `sse.ping.intervalMs`: an idle stream gets a ping this often. */
  pingMs: number;
  /** tRPC's `sse.client`: sent to the client in the `connected` event. */
  client: Record<string, unknown>;
}

/** A buffered backlog this large means the client stopped reading: drop it, it reconnects. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;
const SSE_HEADERS = {
  vary: 'trpc-accept, accept',
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  'x-accel-buffering': 'no',
  connection: 'keep-alive',
};
/** tRPC ends each event with "\n" after its last field, then "\n\n". */
const frame = (fields: string) => Buffer.from(`${fields}\n\n\n`);
const PING = frame('event: ping\ndata: ');
const RETURN = frame('event: return\ndata: ');

interface Stream {
  res: ServerResponse;
  lastWrite: number;
}

/** The job id of a plain `GET …/jobs.onUpdate?input={"jobId":…}`, or null for anything else. */
function plainJobId(req: IncomingMessage, url: URL): string | null {
  if (req.method !== 'GET' || url.searchParams.has('batch')) return null;
  for (const key of url.searchParams.keys()) if (key !== 'input' && key !== 'connectionParams') return null;
  try {
    const input = JSON.parse(url.searchParams.get('input') ?? 'null') as unknown;
    const jobId = (input as { jobId?: unknown } | null)?.jobId;
    return typeof jobId === 'string' && JOB_ID_PATTERN.test(jobId) ? jobId : null;
  } catch {
    return null;
  }
}

export function jobUpdatesRoute(jobs: Pick<JobsService, 'follow'>, sse: SseOptions) {
  const connected = frame(`event: connected\ndata: ${JSON.stringify(sse.client)}`);
  const frames = new WeakMap<JobUpdate, Buffer>();
  const dataFrame = (u: JobUpdate) => {
    let f = frames.get(u);
    if (!f) frames.set(u, (f = frame(`data: ${u.json}`)));
    return f;
  };
  const streams = new Set<Stream>();
  let pinger: NodeJS.Timeout | undefined;

  const write = (s: Stream, chunk: Buffer) => {
    if (s.res.writableLength > MAX_BACKLOG_BYTES) return void s.res.destroy();
    s.lastWrite = Date.now();
    s.res.write(chunk);
  };
  // One timer for every stream: an idle one gets a ping within 1.5 × pingMs (the client gives up
  // after reconnectAfterInactivityMs, well above that).
  const pingIdle = () => {
    const now = Date.now();
    for (const s of streams) if (now - s.lastWrite >= sse.pingMs) write(s, PING);
  };

  /** Serves the request and resolves true, or resolves false (nothing written) for tRPC to answer. */
  return async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const jobId = plainJobId(req, url);
    if (!jobId) return false;
    const stream: Stream = { res, lastWrite: Date.now() };
    let open = false;
    const start = () => {
      open = true;
      res.writeHead(200, SSE_HEADERS);
      write(stream, connected);
      streams.add(stream);
      pinger ??= setInterval(pingIdle, sse.pingMs / 2).unref();
    };
    let unwatch: (() => void) | undefined;
    const stop = () => {
      unwatch?.();
      streams.delete(stream);
      if (streams.size === 0) {
        clearInterval(pinger);
        pinger = undefined;
      }
    };
    try {
      unwatch = await jobs.follow(jobId, {
        update: (u) => {
          if (!open) start();
          write(stream, dataFrame(u));
        },
        end: () => {
          if (!open) start();
          write(stream, RETURN);
          res.end();
        },
      });
    } catch {
      return false; // unknown job, Redis away…: tRPC answers with its own error event
    }
    if (res.destroyed || res.writableEnded) stop();
    else res.once('close', stop);
    return true;
  };
}
