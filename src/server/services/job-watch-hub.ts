/**
 * Live job updates for any number of watchers (browser tabs over SSE, CLI clients): per job one
 * pub/sub listener, one record read and one JSON serialization per update, however many follow
 * it. Each watcher gets the current record first, then every newer revision in order, then `end`
 * after a terminal status.
 */
import { isTerminal, type JobRecord } from '../../shared/jobs.js';
import type { JobEvents } from '../../shared/node/job-events.js';

/** One revision of a job, shared by every watcher of it. */
export class JobUpdate {
  #json: string | undefined;
  constructor(readonly record: JobRecord) {}
  /** The record as JSON, made once for every watcher that sends it on. */
  get json(): string {
    return (this.#json ??= JSON.stringify(this.record));
  }
}

export interface JobWatcher {
  update(update: JobUpdate): void;
  /** The job reached a terminal status: no update follows. */
  end(): void;
}

interface Group {
  id: string;
  watchers: Set<JobWatcher>;
  last: JobUpdate | null;
  loaded: boolean;
  closed: boolean;
  ready: Promise<void>;
  off: () => void;
  timer?: NodeJS.Timeout;
}

export class JobWatchHub {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly deps: {
      events: JobEvents;
      /** The record a new group starts from (throws NOT_FOUND for an unknown job). */
      load: (id: string) => Promise<JobRecord>;
      /** The backstop's re-read (null: gone). */
      reload: (id: string) => Promise<JobRecord | null>;
      /** Re-read this long after the last update: a pub/sub message lost in a Redis reconnect. */
      backstopMs?: number;
    },
  ) {}

  /**
   * Adds a watcher. Resolves with its unsubscribe once the job is known; the watcher may be called
   * (current record first) before that. Rejects, without calling the watcher, when the job cannot
   * be read.
   */
  async watch(id: string, watcher: JobWatcher): Promise<() => void> {
    await this.deps.events.whenReady();
    let group = this.groups.get(id);
    if (!group) this.groups.set(id, (group = this.open(id)));
    const g = group;
    if (g.loaded) {
      // Known and live (a closed group is no longer in the map): the latest revision at once.
      g.watchers.add(watcher);
      watcher.update(g.last!);
    } else {
      g.watchers.add(watcher);
      try {
        await g.ready;
      } catch (err) {
        g.watchers.delete(watcher);
        throw err;
      }
    }
    return () => {
      g.watchers.delete(watcher);
      if (g.watchers.size === 0 && g.loaded) this.close(g);
    };
  }

  /** How many jobs are followed right now (tests). */
  get size(): number {
    return this.groups.size;
  }

  private open(id: string): Group {
    const g: Group = { id, watchers: new Set(), last: null, loaded: false, closed: false, ready: Promise.resolve(), off: () => undefined };
    // Listen before reading, so no update between the read and the subscription is missed.
    g.off = this.deps.events.onJob(id, (record) => this.offer(g, record));
    g.ready = this.deps.load(id).then(
      (record) => {
        if (!g.last || record.rev > g.last.record.rev) g.last = new JobUpdate(record);
        g.loaded = true;
        for (const w of g.watchers) w.update(g.last);
        this.settle(g);
        if (!g.closed && g.watchers.size === 0) this.close(g); // every waiter left while loading
      },
      (err: unknown) => {
        this.close(g);
        throw err;
      },
    );
    return g;
  }

  private offer(g: Group, record: JobRecord): void {
    if (g.closed || (g.last && record.rev <= g.last.record.rev)) return;
    g.last = new JobUpdate(record);
    if (!g.loaded) return; // delivered with the initial read
    for (const w of g.watchers) w.update(g.last);
    this.settle(g);
  }

  /** Ends every watcher after a terminal revision, otherwise re-arms the backstop. */
  private settle(g: Group): void {
    if (!isTerminal(g.last!.record.status)) return this.arm(g);
    const watchers = [...g.watchers];
    this.close(g);
    for (const w of watchers) w.end();
  }

  private arm(g: Group): void {
    clearTimeout(g.timer);
    g.timer = setTimeout(() => void this.backstop(g), this.deps.backstopMs ?? 5000).unref();
  }

  private async backstop(g: Group): Promise<void> {
    const record = await this.deps.reload(g.id).catch(() => null); // Redis away: ask again later
    if (g.closed) return;
    const before = g.last;
    if (record) this.offer(g, record); // a newer revision re-arms through settle()
    if (g.last === before) this.arm(g);
  }

  private close(g: Group): void {
    if (g.closed) return;
    g.closed = true;
    clearTimeout(g.timer);
    g.off();
    if (this.groups.get(g.id) === g) this.groups.delete(g.id);
  }
}
