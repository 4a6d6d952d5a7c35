/** jobs.* through createCaller on a private Redis: cancel races, watch, and the log subscription. No HTTP. */
import fs from 'node:fs';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { useCaller } from '../../../tests/helpers/caller.js';
import { JOB_CANCEL_CHANNEL } from '../../shared/node/job-events.js';
import type { JobRecord } from '../../shared/jobs.js';
import { parseJobLogText, type JobLogRecord } from '../../shared/job-log.js';

const h = useCaller();
const start = (prompt: string, cid = 'caller-start') =>
  h.as(cid, (c) => c.generation.start({ config: { prompt, steps: 1, width: 512, height: 512 }, count: 1 }));
const logOf = (id: string) => parseJobLogText(fs.readFileSync(h.api.infra.paths.jobLog(id), 'utf8')) as JobLogRecord[];
const markRunning = (id: string) =>
  h.api.infra.store.update(id, (r) => (r.status === 'queued' ? { ...r, status: 'running', started_at: new Date().toISOString(), worker: 'test' } : null));

/** In-process, a tracked event is tRPC's envelope `[id, data, marker]`; over SSE it becomes `{id, data}`. */
const untrack = <D>(event: unknown) => {
  const [id, data] = event as [string, D];
  return { id, data };
};

async function take<T>(iterable: AsyncIterable<T>, until: (item: T) => boolean): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) {
    items.push(item);
    if (until(item)) break;
  }
  return items;
}

describe('jobs.cancel', () => {
  it('two cancels of a queued job at once: both see it cancelled, it leaves the queue, and its log says so once', async () => {
    const job = await start('cancel twice');
    const [a, b] = await Promise.all([h.as('canceller-a', (c) => c.jobs.cancel({ id: job.id })), h.as('canceller-b', (c) => c.jobs.cancel({ id: job.id }))]);
    expect([a.status, b.status]).toEqual(['cancelled', 'cancelled']);
    expect(a.cancelled_by).toBe(b.cancelled_by); // one winner, recorded once
    expect(['canceller-a', 'canceller-b']).toContain(a.cancelled_by);
    expect(logOf(job.id).filter((l) => l.event === 'job.cancelled')).toHaveLength(1);
    expect(await h.api.services.jobs.get(job.id)).toMatchObject({ status: 'cancelled', finished_at: expect.any(String) });
    const { queue } = (h.api.services.jobs as unknown as { deps: { queue: { getJob(id: string): Promise<unknown> } } }).deps;
    expect(await queue.getJob(job.id)).toBeNull();
  });

  it('a cancel racing the worker\'s start either cancels the queued job or asks the running one to stop, never neither', async () => {
    const listener = new Redis(h.redis.url);
    const asked: string[] = [];
    listener.on('message', (_channel: string, message: string) => asked.push((JSON.parse(message) as { id: string }).id));
    await listener.subscribe(JOB_CANCEL_CHANNEL);
    try {
      const outcomes: JobRecord[] = [];
      for (let i = 0; i < 12; i++) {
        const job = await start(`race ${i}`);
        const [, cancelled] = await Promise.all([markRunning(job.id), h.as(`race-${i}`, (c) => c.jobs.cancel({ id: job.id }))]);
        outcomes.push(cancelled);
      }
      await new Promise((r) => setTimeout(r, 200)); // pub/sub delivery
      for (const record of outcomes) {
        const stored = (await h.api.services.jobs.get(record.id))!;
        if (stored.status === 'cancelled') expect(stored.finished_at).toBeDefined();
        else {
          expect(stored.status).toBe('running');
          expect(stored.cancel_requested_at).toBeDefined();
          expect(asked).toContain(stored.id); // the worker is told
        }
      }
    } finally {
      listener.disconnect();
    }
  });

  it('a finished job cannot be cancelled (409) and an unknown one is 404', async () => {
    const job = await start('done already');
    await h.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', finished_at: new Date().toISOString() }));
    await expect(h.as('c', (c) => c.jobs.cancel({ id: job.id }))).rejects.toMatchObject({ code: 'CONFLICT', message: `Job '${job.id}' is already completed` });
    await expect(h.as('c', (c) => c.jobs.cancel({ id: 'generation-000000000000' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(h.as('c', (c) => c.jobs.cancel({ id: '../x' }))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: "Parameter 'id' is not a valid id" });
  });
});

describe('jobs.onUpdate (watch)', () => {
  it('yields the current record, then each change in order, and ends after the terminal one', async () => {
    const job = await start('watch me');
    const stream = await h.caller().jobs.onUpdate({ jobId: job.id });
    const seen = take(stream, (r) => r.status === 'completed');
    await new Promise((r) => setTimeout(r, 50));
    await markRunning(job.id);
    await h.api.infra.store.update(job.id, (r) => ({ ...r, progress: 0.5 }));
    await h.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', progress: 1, finished_at: new Date().toISOString() }));
    const records = await seen;
    expect(records[0]!.status).toBe('queued');
    expect(records.at(-1)!.status).toBe('completed');
    expect(records.map((r) => r.rev)).toEqual([...records.map((r) => r.rev)].sort((a, b) => a - b));
    expect(records.some((r) => r.progress === 0.5)).toBe(true);
  });

  it('an unknown job is NOT_FOUND before any stream opens', async () => {
    await expect(h.caller().jobs.onUpdate({ jobId: 'training-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('jobs.onLog', () => {
  it('streams the log as tracked chunks whose ids are byte offsets, and ends once the job is terminal', async () => {
    const job = await start('log me');
    const log = h.api.services.jobs.jobLogger(job.id);
    const stream = await h.caller().jobs.onLog({ jobId: job.id });
    const events = take(stream, () => false);
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++) log.info(`line ${i}`, 'test.line', { i });
    log.close();
    await h.api.infra.store.update(job.id, (r) => ({ ...r, status: 'failed', error: 'x', finished_at: new Date().toISOString() }));
    const all = (await events).map((e) => untrack<{ lines: JobLogRecord[] }>(e));
    const lines = all.flatMap((e) => e.data.lines);
    expect(lines.map((l) => l.event)).toEqual(['job.queued', 'test.line', 'test.line', 'test.line']);
    expect(Number(all.at(-1)!.id)).toBe(fs.statSync(h.api.infra.paths.jobLog(job.id)).size);
  });

  it('resumes after lastEventId without repeating a line (what the SSE link sends on reconnect)', async () => {
    const job = await start('resume me');
    const log = h.api.services.jobs.jobLogger(job.id);
    log.info('second', 'test.second');
    log.close();
    await h.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', finished_at: new Date().toISOString() }));
    const firstLine = fs.readFileSync(h.api.infra.paths.jobLog(job.id), 'utf8').indexOf('\n') + 1;
    const stream = await h.caller().jobs.onLog({ jobId: job.id, lastEventId: String(firstLine) });
    const lines = (await take(stream, () => false)).flatMap((e) => untrack<{ lines: JobLogRecord[] }>(e).data.lines);
    expect(lines.map((l) => l.msg)).toEqual(['second']);
  });

  it('a bad offset names the parameter; a job without a log is NOT_FOUND', async () => {
    await expect(h.caller().jobs.onLog({ jobId: 'training-000000000000', lastEventId: '-1' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: "Parameter 'lastEventId' must be a byte offset",
    });
    await expect(h.caller().jobs.onLog({ jobId: 'training-000000000000' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Log file not found' });
  });
});
