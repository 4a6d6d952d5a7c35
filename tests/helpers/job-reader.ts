/** Reads job records straight from Redis, for tests whose API runs in another process. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { isTerminal, type JobRecord } from '../../src/shared/jobs.js';

export async function createJobStoreReader(url: string) {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const getMany = async (ids: string[]): Promise<JobRecord[]> => {
    const raws = await redis.mget(ids.map((id) => `isengard:job:${id}`));
    return raws.map((r, i) => (r ? (JSON.parse(r) as JobRecord) : ({ id: ids[i], status: 'missing' } as unknown as JobRecord)));
  };
  const waitUntil = async (pred: () => Promise<boolean>, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return {
    redis,
    getMany,
    waitUntil,
    async waitAll(ids: string[], timeoutMs: number): Promise<JobRecord[]> {
      let last: JobRecord[] = [];
      try {
        await waitUntil(async () => (last = await getMany(ids)).every((r) => isTerminal(r.status)), timeoutMs);
      } catch {
        throw new Error(`not all terminal: ${last.filter((r) => !isTerminal(r.status)).map((r) => `${r.id}:${r.status}`).join(', ')}`);
      }
      return last;
    },
    async countEvents(ids: string[], event: string, volumeRoot: string): Promise<Record<string, number>> {
      const out: Record<string, number> = {};
      for (const id of ids) {
        const text = await fs.readFile(path.join(volumeRoot, 'logs', 'jobs', `${id}.jsonl`), 'utf8');
        out[id] = text.split('\n').filter((l) => l && (JSON.parse(l) as { event?: string }).event === event).length;
      }
      return out;
    },
    close: async () => redis.disconnect(),
  };
}
