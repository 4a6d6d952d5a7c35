/** GET|HEAD /api/jobs/:jobId/logs exactly as docs/contracts.md says. */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobLogger } from '../../src/shared/node/job-logger.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
const JOB = 'generation-0123456789ab';
let size = 0;

beforeAll(async () => {
  stack = await startStack();
  const log = new JobLogger({ jobId: JOB, service: 'worker', logPath: stack.api.infra.paths.jobLog(JOB), logger: pino({ level: 'silent' }), correlationId: 'c-logs' });
  for (let i = 0; i < 50; i++) log.info(`line ${i}`, 'test.line', { i });
  log.close();
  size = fs.statSync(stack.api.infra.paths.jobLog(JOB)).size;
});
afterAll(async () => stack?.stop());

describe('logs route', () => {
  it.each(['..%2F..%2Fetc%2Fpasswd', 'a..b', 'a.b', 'job%00', '%2e%2e%2f', 'x y', '%E2%9C%93'])('400 for id %s', async (id) => {
    const res = await fetch(`${stack.url}/api/jobs/${id}/logs`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'Invalid job ID format' });
  });

  it('404 for a job without a log', async () => {
    const res = await fetch(`${stack.url}/api/jobs/training-000000000000/logs`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Log file not found' });
  });

  it('200 ndjson attachment with the whole file', async () => {
    const res = await fetch(`${stack.url}/api/jobs/${JOB}/logs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${JOB}.jsonl"`);
    const lines = (await res.text()).trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(JSON.parse(lines[7]!)).toMatchObject({ job_id: JOB, correlation_id: 'c-logs', msg: 'line 7' });
  });

  it('HEAD answers headers only', async () => {
    const res = await fetch(`${stack.url}/api/jobs/${JOB}/logs`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(size));
    expect(await res.text()).toBe('');
  });

  it('Range gives 206 with the bytes asked for; a range past the end is 416', async () => {
    const res = await fetch(`${stack.url}/api/jobs/${JOB}/logs`, { headers: { Range: 'bytes=10-19' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 10-19/${size}`);
    const whole = fs.readFileSync(stack.api.infra.paths.jobLog(JOB), 'utf8');
    expect(await res.text()).toBe(whole.slice(10, 20));
    const tail = await fetch(`${stack.url}/api/jobs/${JOB}/logs`, { headers: { Range: 'bytes=-5' } });
    expect(await tail.text()).toBe(whole.slice(-5));
    const past = await fetch(`${stack.url}/api/jobs/${JOB}/logs`, { headers: { Range: `bytes=${size + 10}-` } });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);
  });

  it('?follow=1 streams appended lines until the job is terminal', async () => {
    const { body: job } = await stack.call<{ id: string }>('generation.start', { config: { prompt: 'follow me' } });
    const file = stack.api.infra.paths.jobLog(job.id);
    const res = await fetch(`${stack.url}/api/jobs/${job.id}/logs?follow=1`);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pred: () => boolean) => {
      while (!pred()) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await readUntil(() => text.includes('job.queued'));
    const log = new JobLogger({ jobId: job.id, service: 'worker', logPath: file, logger: pino({ level: 'silent' }), correlationId: 'c' });
    log.info('appended later', 'test.append');
    await readUntil(() => text.includes('appended later'));
    await stack.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', finished_at: new Date().toISOString() }));
    log.info('last words', 'job.complete');
    log.close();
    await readUntil(() => false); // ends by itself
    const events = text.trim().split('\n').map((l) => JSON.parse(l).event);
    expect(events).toEqual(['job.queued', 'test.append', 'job.complete']);
    expect(path.basename(file)).toBe(`${job.id}.jsonl`);
  });

  it('jobs.onLog over SSE: events carry byte offsets as ids, and a reconnect with Last-Event-ID resumes after them', async () => {
    const { body: job } = await stack.call<{ id: string }>('generation.start', { config: { prompt: 'sse log' } });
    const file = stack.api.infra.paths.jobLog(job.id);
    const log = new JobLogger({ jobId: job.id, service: 'worker', logPath: file, logger: pino({ level: 'silent' }), correlationId: 'c' });
    log.info('second line', 'test.second');
    log.close();
    await stack.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', finished_at: new Date().toISOString() }));
    const url = `${stack.url}/api/trpc/jobs.onLog?input=${encodeURIComponent(JSON.stringify({ jobId: job.id }))}`;
    const sse = async (headers: Record<string, string> = {}) => {
      const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers } });
      expect(res.status).toBe(200);
      const text = await res.text(); // the server ends the stream: the job is terminal
      const events: { id: string; lines: { msg?: string }[] }[] = [];
      for (const block of text.split('\n\n')) {
        const id = /^id: ?(.*)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (id && data) events.push({ id, lines: (JSON.parse(data) as { lines: { msg?: string }[] }).lines });
      }
      return events;
    };
    const whole = fs.readFileSync(file, 'utf8');
    const all = await sse();
    expect(all.flatMap((e) => e.lines.map((l) => l.msg))).toEqual(['Job queued', 'second line']);
    expect(all.at(-1)!.id).toBe(String(Buffer.byteLength(whole)));
    const firstLineEnd = String(whole.indexOf('\n') + 1);
    const resumed = await sse({ 'Last-Event-ID': firstLineEnd });
    expect(resumed.flatMap((e) => e.lines.map((l) => l.msg))).toEqual(['second line']);
  });
});
