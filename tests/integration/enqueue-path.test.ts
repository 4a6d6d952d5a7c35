/**
 * The enqueue path over HTTP after its speed-ups (bench/enqueue.bench.ts): the rate limit is one
 * Lua script, the record and its indexes are one script, job.queued is appended off the event
 * loop, and plain tRPC calls skip the node adapter's web streams. What must not change: a refused
 * call creates nothing, every accepted job is in its indexes and its log starts with job.queued,
 * and calls the lean handler does not take (chunked bodies, batches) still answer the same.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { parseJobLogText, type JobLogRecord } from '../../src/shared/job-log.js';
import { startStack, type Stack } from '../helpers/stack.js';

const LIMIT = 6;
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
});
afterAll(async () => stack?.stop());

const input = (i: number) => ({ config: { prompt: `enqueue path ${i}`, width: 512, height: 512, steps: 1, seed: i } });

/** POST with a chunked body (no Content-Length): the lean handler leaves it to tRPC's own adapter. */
function postChunked(path: string, body: string): Promise<{ status: number; text: string }> {
  const url = new URL(path, stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 10));
    req.end(body.slice(10));
  });
}

describe('enqueue over HTTP', () => {
  const accepted: JobRecord[] = [];

  it('concurrent starts within the limit are all accepted; past it a 429 with Retry-After creates nothing', async () => {
    const first = await Promise.all(Array.from({ length: LIMIT - 1 }, (_, i) => stack.call<JobRecord>('generation.start', input(i))));
    expect(first.map((r) => r.status)).toEqual(Array(LIMIT - 1).fill(200));
    accepted.push(...first.map((r) => r.body));
    const chunked = await postChunked('/api/trpc/generation.start', JSON.stringify(input(99)));
    expect(chunked.status, chunked.text).toBe(200);
    accepted.push((JSON.parse(chunked.text) as { result: { data: JobRecord } }).result.data);

    const refused = await stack.call<{ message: string }>('generation.start', input(100));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.body.message).toMatch(/^Too many requests: at most 6 changes per minute; retry in \d+ s$/);

    const queued = await stack.call<{ items: JobRecord[] }>('jobs.list', { status: 'queued', limit: 100 });
    expect(queued.body.items.map((j) => j.id).sort()).toEqual(accepted.map((j) => j.id).sort());
    const keys = await stack.api.infra.redis.keys('isengard:job:*');
    expect(keys.sort()).toEqual(accepted.map((j) => `isengard:job:${j.id}`).sort());
  });

  it('every accepted job is in its status index once, on the queue, and its log begins with job.queued', async () => {
    const index = await stack.api.infra.redis.zrange('isengard:jobs:generation:queued', '0', '-1');
    expect(index.sort()).toEqual(accepted.map((j) => j.id).sort());
    const waiting = await stack.api.infra.queue.getJobs('waiting', { start: 0, end: 100 });
    expect(waiting.map((j) => j.id).sort()).toEqual(accepted.map((j) => j.id).sort());
    for (const job of accepted) {
      const lines = parseJobLogText(fs.readFileSync(stack.api.infra.paths.jobLog(job.id), 'utf8')) as JobLogRecord[];
      expect(lines.map((l) => l.event), job.id).toEqual(['job.queued']);
      expect(lines[0]).toMatchObject({ service: 'api', job_id: job.id, correlation_id: job.correlation_id });
    }
  });

  it('a batched GET of two queries answers both in order (lean path); a bad one in the batch keeps its own error', async () => {
    const [a, b] = accepted;
    const batch = encodeURIComponent(JSON.stringify({ 0: { id: a!.id }, 1: { id: 'generation-000000000000' }, 2: { id: b!.id } }));
    const res = await fetch(`${stack.url}/api/trpc/jobs.get,jobs.get,jobs.get?batch=1&input=${batch}`);
    const body = (await res.json()) as { result?: { data: JobRecord }; error?: { data: { httpStatus: number } } }[];
    expect(body[0]!.result!.data.id).toBe(a!.id);
    expect(body[1]!.error!.data.httpStatus).toBe(404);
    expect(body[2]!.result!.data.id).toBe(b!.id);
  });
});
