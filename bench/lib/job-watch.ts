/**
 * Watches job records change through the store's own pub/sub channel (harness-side, so waiting
 * for completion costs the API nothing), with a Redis read as backstop.
 */
import { Redis } from 'ioredis';
import { isTerminal, type JobRecord } from '../../src/shared/jobs.js';
import { JOB_UPDATES_CHANNEL } from '../../src/shared/node/job-store.js';

export class JobWatcher {
  private readonly sub: Redis;
  private readonly reader: Redis;
  private readonly terminal = new Map<string, { record: JobRecord; at: number }>();
  private readonly waiters = new Map<string, (r: JobRecord) => void>();

  private constructor(redisUrl: string) {
    this.sub = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.reader = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.sub.on('message', (_channel: string, message: string) => {
      const record = JSON.parse(message) as JobRecord;
      if (!isTerminal(record.status) || this.terminal.has(record.id)) return;
      this.terminal.set(record.id, { record, at: Date.now() });
      const wake = this.waiters.get(record.id);
      if (wake) {
        this.waiters.delete(record.id);
        wake(record);
      }
    });
  }

  static async start(redisUrl: string): Promise<JobWatcher> {
    const w = new JobWatcher(redisUrl);
    await w.sub.subscribe(JOB_UPDATES_CHANNEL);
    return w;
  }

  /** When the watcher saw the job turn terminal (epoch ms), if it did. */
  terminalAt(id: string): number | undefined {
    return this.terminal.get(id)?.at;
  }

  /** The terminal record, or null when `timeoutMs` passes first. */
  async waitTerminal(id: string, timeoutMs: number): Promise<JobRecord | null> {
    const seen = this.terminal.get(id);
    if (seen) return seen.record;
    return new Promise((resolve) => {
      const timer = setTimeout(async () => {
        this.waiters.delete(id);
        const [r] = await this.getMany([id]);
        resolve(r && isTerminal(r.status) ? r : null);
      }, timeoutMs);
      this.waiters.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
  }

  async getMany(ids: string[]): Promise<(JobRecord | null)[]> {
    const out: (JobRecord | null)[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const raws = await this.reader.mget(ids.slice(i, i + 500).map((id) => `isengard:job:${id}`));
      for (const raw of raws) out.push(raw ? (JSON.parse(raw) as JobRecord) : null);
    }
    return out;
  }

  /** Empties the (private) Redis: a clean queue and store between phases. */
  async flushdb(): Promise<void> {
    await this.reader.flushdb();
  }

  close(): void {
    this.sub.disconnect();
    this.reader.disconnect();
  }
}
