/** JobWatchHub with a stand-in for the pub/sub fan-out and the store: sharing, ordering, ends, backstop. */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../shared/jobs.js';
import type { JobEvents } from '../../shared/node/job-events.js';
import { AppError } from '../../shared/errors.js';
import { JobWatchHub, type JobUpdate } from './job-watch-hub.js';

const ID = 'generation-0000000000aa';
const rec = (rev: number, status: JobRecord['status'] = 'running'): JobRecord =>
  ({ id: ID, type: 'generation', status, correlation_id: 't', config: {}, created_at: '2026-01-01T00:00:00Z', progress: rev / 10, outputs: [], attempts: 1, rev }) as JobRecord;

function setup(opts: { load?: () => Promise<JobRecord>; reload?: () => Promise<JobRecord | null>; backstopMs?: number } = {}) {
  const listeners = new Set<(r: JobRecord) => void>();
  let loads = 0;
  const events = {
    whenReady: () => Promise.resolve(),
    onJob: (_id: string, l: (r: JobRecord) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  } as unknown as JobEvents;
  const hub = new JobWatchHub({
    events,
    load: () => (loads++, opts.load ? opts.load() : Promise.resolve(rec(1))),
    reload: opts.reload ?? (() => Promise.resolve(null)),
    backstopMs: opts.backstopMs,
  });
  const publish = (r: JobRecord) => listeners.forEach((l) => l(r));
  const watcher = () => {
    const updates: JobUpdate[] = [];
    let ended = 0;
    return { updates, revs: () => updates.map((u) => u.record.rev), ended: () => ended, w: { update: (u: JobUpdate) => updates.push(u), end: () => void ended++ } };
  };
  return { hub, publish, watcher, listeners, loads: () => loads };
}

describe('JobWatchHub', () => {
  it('two watchers of one job share one listener, one read and the same update objects', async () => {
    const s = setup();
    const a = s.watcher();
    const b = s.watcher();
    await Promise.all([s.hub.watch(ID, a.w), s.hub.watch(ID, b.w)]);
    expect(s.loads()).toBe(1);
    expect(s.listeners.size).toBe(1);
    s.publish(rec(2));
    s.publish(rec(2)); // a duplicate
    s.publish(rec(1)); // an older one, late
    s.publish(rec(3));
    expect(a.revs()).toEqual([1, 2, 3]);
    expect(b.revs()).toEqual([1, 2, 3]);
    expect(a.updates[1]).toBe(b.updates[1]);
    expect(a.updates[1]!.json).toBe(JSON.stringify(rec(2)));
  });

  it('a late watcher gets the latest revision at once, without a read', async () => {
    const s = setup();
    const a = s.watcher();
    await s.hub.watch(ID, a.w);
    s.publish(rec(4));
    const b = s.watcher();
    await s.hub.watch(ID, b.w);
    expect(b.revs()).toEqual([4]);
    expect(s.loads()).toBe(1);
  });

  it('ends every watcher after a terminal revision and lets go of the job', async () => {
    const s = setup();
    const a = s.watcher();
    const b = s.watcher();
    await s.hub.watch(ID, a.w);
    await s.hub.watch(ID, b.w);
    s.publish(rec(2, 'completed'));
    s.publish(rec(3, 'completed'));
    expect([a.revs(), a.ended(), b.revs(), b.ended()]).toEqual([[1, 2], 1, [1, 2], 1]);
    expect(s.hub.size).toBe(0);
    expect(s.listeners.size).toBe(0);
  });

  it('a job that is already terminal: its record, then the end', async () => {
    const s = setup({ load: () => Promise.resolve(rec(7, 'failed')) });
    const a = s.watcher();
    await s.hub.watch(ID, a.w);
    expect([a.revs(), a.ended(), s.hub.size]).toEqual([[7], 1, 0]);
  });

  it('an unknown job rejects and calls nobody; the last watcher leaving unsubscribes', async () => {
    const missing = setup({ load: () => Promise.reject(AppError.notFound('nope')) });
    const a = missing.watcher();
    await expect(missing.hub.watch(ID, a.w)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect([a.updates.length, missing.hub.size, missing.listeners.size]).toEqual([0, 0, 0]);

    const s = setup();
    const offA = await s.hub.watch(ID, s.watcher().w);
    const offB = await s.hub.watch(ID, s.watcher().w);
    offA();
    expect(s.listeners.size).toBe(1);
    offB();
    expect([s.hub.size, s.listeners.size]).toEqual([0, 0]);
  });

  it('re-reads the record when pub/sub stays quiet (a message lost in a reconnect)', async () => {
    let stored = rec(1);
    const s = setup({ reload: () => Promise.resolve(stored), backstopMs: 20 });
    const a = s.watcher();
    const off = await s.hub.watch(ID, a.w);
    stored = rec(5);
    await new Promise((r) => setTimeout(r, 120));
    expect(a.revs()).toEqual([1, 5]);
    off();
  });
});
