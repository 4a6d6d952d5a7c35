/**
 * jobs.onUpdate's own SSE route against tRPC's: the same bytes and headers for the same job, so
 * httpSubscriptionLink cannot tell them apart. A query parameter the route does not know sends a
 * request on to tRPC, which serves the reference stream.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JobRecord } from '../../shared/jobs.js';
import { startStack, type Stack } from '../../../tests/helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

let n = 0;
async function createJob(status: JobRecord['status']): Promise<JobRecord> {
  const record = {
    id: `generation-${(++n).toString(16).padStart(12, '0')}`,
    type: 'generation',
    status,
    correlation_id: 'route-test',
    config: { prompt: 'wire "format" ✓' },
    created_at: new Date().toISOString(),
    progress: 0,
    outputs: [],
    attempts: 1,
    rev: 0,
  } as JobRecord;
  await stack.api.infra.store.create(record);
  return record;
}

const urlOf = (id: string, viaTrpc: boolean) =>
  `${stack.url}/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId: id }))}` +
  `&connectionParams=${encodeURIComponent(JSON.stringify({ correlationId: 'web-x' }))}${viaTrpc ? '&reference=trpc' : ''}`;

/** Opens the stream and reads it until `until` holds for the text so far, or to its end. */
async function open(id: string, viaTrpc: boolean) {
  const res = await fetch(urlOf(id, viaTrpc), { headers: { accept: 'text/event-stream' } });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    res,
    get text() {
      return text;
    },
    async readUntil(until: (text: string) => boolean) {
      while (!until(text)) {
        const { value, done } = await Promise.race([
          reader.read(),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`stream stalled; so far:\n${text}`)), 10_000)),
        ]);
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
  };
}

const HEADERS = ['content-type', 'cache-control', 'x-accel-buffering', 'connection', 'vary', 'transfer-encoding', 'content-security-policy'];
const pick = (h: Headers) => Object.fromEntries(HEADERS.map((k) => [k, h.get(k)]));
const dataEvents = (text: string) => text.split('\n').filter((l) => l.startsWith('data: {"id"'));

describe('jobs.onUpdate SSE route', () => {
  it('a running job: the same connected event, records and return event as tRPC, byte for byte', async () => {
    const job = await createJob('running');
    const viaTrpc = vi.spyOn(stack.api.services.jobs, 'watch'); // what the tRPC procedure streams from
    const ours = await open(job.id, false);
    expect(viaTrpc).not.toHaveBeenCalled();
    const ref = await open(job.id, true);
    expect(viaTrpc).toHaveBeenCalledTimes(1);
    viaTrpc.mockRestore();
    for (const s of [ours, ref]) await s.readUntil((t) => dataEvents(t).length === 1);
    await stack.api.infra.store.update(job.id, (r) => ({ ...r, progress: 0.5, message: 'half' }));
    for (const s of [ours, ref]) await s.readUntil((t) => dataEvents(t).length === 2);
    await stack.api.infra.store.update(job.id, (r) => ({ ...r, status: 'completed', progress: 1, finished_at: new Date().toISOString() }));
    const [a, b] = await Promise.all([ours.readUntil(() => false), ref.readUntil(() => false)]);
    expect(a).toBe(b);
    expect(a).toMatch(/^event: connected\ndata: \{"reconnectAfterInactivityMs":25000\}\n\n\n/);
    expect(a.endsWith('event: return\ndata: \n\n\n')).toBe(true);
    expect(dataEvents(a).map((l) => (JSON.parse(l.slice(6)) as JobRecord).status)).toEqual(['running', 'running', 'completed']);
    expect(ours.res.status).toBe(ref.res.status);
    expect(pick(ours.res.headers)).toEqual(pick(ref.res.headers));
  });

  it('a finished job: its record and the end at once, as tRPC sends them', async () => {
    const job = await createJob('failed');
    const [a, b] = await Promise.all([open(job.id, false), open(job.id, true)]);
    expect(await a.readUntil(() => false)).toBe(await b.readUntil(() => false));
  });

  it('an unknown job goes on to tRPC: its NOT_FOUND error event', async () => {
    const a = await open('generation-00000000dead', false);
    const text = await a.readUntil(() => false);
    expect(text).toContain('event: serialized-error');
    expect(text).toContain('NOT_FOUND');
  });

  it('a subscriber that leaves is let go: later updates still reach the others', async () => {
    const job = await createJob('running');
    const ac = new AbortController();
    const leaving = await fetch(urlOf(job.id, false), { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    const staying = await open(job.id, false);
    await staying.readUntil((t) => dataEvents(t).length === 1);
    ac.abort();
    await leaving.body?.cancel().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await stack.api.infra.store.update(job.id, (r) => ({ ...r, status: 'cancelled', finished_at: new Date().toISOString() }));
    expect(dataEvents(await staying.readUntil(() => false))).toHaveLength(2);
  });
});
