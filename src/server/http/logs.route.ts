/**
 * GET|HEAD /api/jobs/:jobId/logs (docs/contracts.md): the job's JSONL streamed from disk, Range → 206,
 * `?follow=1` keeps streaming appended lines until the job is terminal.
 */
import type fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isTerminal, LOG_ID_PATTERN } from '../../shared/jobs.js';
import type { Services } from '../services/index.js';
import { sendJson } from './respond.js';
import { sendFile } from './send-file.js';
import { openInside } from '../../shared/node/safe-path.js';

const FOLLOW_POLL_MS = 250;

export async function logsRoute(req: IncomingMessage, res: ServerResponse, services: Services, jobId: string, url: URL): Promise<void> {
  if (!LOG_ID_PATTERN.test(jobId)) return sendJson(res, 400, { error: 'Invalid job ID format' });
  let opened: Awaited<ReturnType<typeof openInside>>;
  try {
    // Throws for ids too long to be a file name, and for a link out of the volume: no such log either.
    opened = await openInside(services.paths.root, services.paths.jobLog(jobId));
  } catch {
    return sendJson(res, 404, { error: 'Log file not found' });
  }
  const { handle, stat } = opened;
  try {
    await serveLog(req, res, services, jobId, url, handle, stat);
  } finally {
    await handle.close();
  }
}

async function serveLog(req: IncomingMessage, res: ServerResponse, services: Services, jobId: string, url: URL, handle: FileHandle, stat: fs.Stats): Promise<void> {
  const headers = {
    'Content-Type': 'application/x-ndjson',
    'Content-Disposition': `attachment; filename="${jobId}.jsonl"`,
    'Cache-Control': 'no-store',
  };
  const follow = url.searchParams.get('follow');
  if (follow === '1' || follow === 'true') {
    if (req.method === 'HEAD') {
      res.writeHead(200, headers);
      return void res.end();
    }
    return follow_(req, res, services, jobId, handle, headers);
  }
  await sendFile(req, res, handle, headers, stat);
}

/** Tails the file: sends what is there, then what is appended, until the job is terminal. */
async function follow_(
  req: IncomingMessage,
  res: ServerResponse,
  services: Services,
  jobId: string,
  handle: FileHandle,
  headers: Record<string, string>,
): Promise<void> {
  res.writeHead(200, { ...headers, 'X-Accel-Buffering': 'no' });
  let closed = false;
  req.on('close', () => (closed = true));
  res.on('close', () => (closed = true));
  const buffer = Buffer.alloc(64 * 1024);
  let position = 0;
  let carry = Buffer.alloc(0);
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead > 0) {
      position += bytesRead;
      // Only whole lines go out, so a reader never sees half a record.
      const chunk = Buffer.concat([carry, buffer.subarray(0, bytesRead)]);
      const lastNewline = chunk.lastIndexOf(0x0a);
      carry = chunk.subarray(lastNewline + 1);
      if (lastNewline >= 0 && !res.write(chunk.subarray(0, lastNewline + 1))) {
        // A reader that hangs up never drains: waiting for 'drain' alone would hold the file open forever.
        if (closed) return;
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        if (closed) return;
      }
      continue;
    }
    if (closed) return;
    const record = await services.store.get(jobId).catch(() => undefined);
    if (!record || isTerminal(record.status)) {
      // The final lines may have landed between our last read and the terminal status.
      if ((await handle.stat()).size > position) continue;
      if (carry.length) res.write(carry);
      return void res.end();
    }
    await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
  }
}
