/**
 * GET|HEAD /api/jobs/:jobId/logs (docs/contracts.md): the job's JSONL as a download (Range → 206,
 * HEAD); with `?follow=1` it stays open and streams appended lines until the job is terminal.
 * Lookup and following live in JobLogsService; this only speaks HTTP.
 */
import type { ServerResponse } from 'node:http';
import type { JobLogsService } from '../services/job-logs.service.js';
import type { RouteRequest } from './route-table.js';
import { sendFile } from './send-file.js';

export const isFollowRequest = (url: URL) => ['1', 'true'].includes(url.searchParams.get('follow') ?? '');

export function logsRoute(jobLogs: JobLogsService) {
  return async ({ req, res, url, params }: RouteRequest): Promise<void> => {
    const jobId = params.jobId!;
    const headers = {
      'Content-Type': 'application/x-ndjson',
      'Content-Disposition': `attachment; filename="${jobId}.jsonl"`,
      'Cache-Control': 'no-store',
    };
    if (!isFollowRequest(url)) {
      const log = await jobLogs.open(jobId);
      try {
        return await sendFile(req, res, log.handle, headers, log.stat);
      } finally {
        await log.handle.close();
      }
    }
    await jobLogs.requireLog(jobId); // a bad id or a missing log is still a plain 400/404
    res.writeHead(200, { ...headers, 'X-Accel-Buffering': 'no' });
    if (req.method === 'HEAD') return void res.end();
    const hangUp = new AbortController();
    res.on('close', () => hangUp.abort());
    for await (const chunk of jobLogs.follow(jobId, { signal: hangUp.signal })) {
      if (!res.write(chunk.text) && !(await drained(res))) return;
    }
    res.end();
  };
}

/** A reader that hangs up never drains: waiting for 'drain' alone would hold the file open forever. */
function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve(!res.destroyed);
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
