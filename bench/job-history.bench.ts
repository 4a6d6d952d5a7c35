/**
 * Job history at scale, against the API as its own process (bench stack) and a private Redis:
 *  - `jobs.list` p95 for every filter at 100, 10,000 and 100,000 jobs (the same mix of types,
 *    statuses and characters at every size), first page of 20 and the page after it; one API
 *    process and Redis per size, requests interleaved across them;
 *  - Redis bytes per job: used_memory growth over 10,000 jobs stored the way the store stores
 *    them, against the layout of earlier versions (record + per-type + `all` index), same run.
 * Jobs are seeded straight into Redis with the store's own create script (the API would take
 * minutes to create 100k), with their final status.
 */
import { Redis } from 'ioredis';
import { JOB_STATUSES, JOB_TYPES, type JobRecord, type JobStatus } from '../src/shared/jobs.js';
import { CREATE_SCRIPT, indexKeysOf, scoreOf } from '../src/shared/node/job-index.js';
import { JOB_UPDATES_CHANNEL, jobKey } from '../src/shared/node/job-store.js';
import { KEY_PREFIX } from '../src/shared/node/redis.js';
import { JsonClient } from './lib/http.js';
import { startBenchStack } from './lib/stack.js';
import { percentile } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const SIZES = [100, 10_000, 100_000] as const;
const SAMPLES = Number(process.env.BENCH_JOBS_LIST_SAMPLES ?? 100);
const BYTES_JOBS = 10_000;
const CHARACTERS = Array.from({ length: 5 }, (_, i) => `char-${String(i).padStart(12, '0')}`);

interface Filter {
  name: string;
  input: Record<string, unknown>;
}
const FILTERS: Filter[] = [
  { name: 'unfiltered', input: {} },
  { name: 'status=running', input: { status: 'running' } },
  { name: 'status=failed', input: { status: 'failed' } },
  { name: 'type=training,status=completed', input: { type: 'training', status: 'completed' } },
  { name: 'character', input: { character_id: CHARACTERS[0] } },
  { name: 'character,status=queued', input: { character_id: CHARACTERS[0], status: 'queued' } },
];

/** Job i of the mix: types alternate, statuses rotate, every 10th belongs to a character. */
function jobAt(template: JobRecord, i: number, epoch: number): JobRecord {
  const type = JOB_TYPES[i % JOB_TYPES.length]!;
  const status: JobStatus = JOB_STATUSES[Math.floor(i / 2) % JOB_STATUSES.length]!;
  const { character_id: _c, ...rest } = template;
  return {
    ...rest,
    id: `${type}-${i.toString(16).padStart(12, '0')}`,
    type,
    status,
    created_at: new Date(epoch + i * 1000).toISOString(),
    ...(i % 10 === 0 ? { character_id: CHARACTERS[(i / 10) % CHARACTERS.length]! } : {}),
    ...(status === 'completed' ? { progress: 1, finished_at: new Date(epoch + i * 1000 + 500).toISOString() } : {}),
  };
}

async function seed(redis: Redis, template: JobRecord, from: number, to: number, epoch: number): Promise<void> {
  for (let start = from; start < to; start += 2000) {
    const pipe = redis.pipeline();
    for (let i = start; i < Math.min(to, start + 2000); i++) {
      const r = jobAt(template, i, epoch);
      const keys = indexKeysOf(r);
      pipe.eval(CREATE_SCRIPT, 1 + keys.length, jobKey(r.id), ...keys, JSON.stringify(r), scoreOf(r), r.id, JOB_UPDATES_CHANNEL);
    }
    await pipe.exec();
  }
}

/** Round trips of the first page and the page after it. */
async function pageTimes(client: JsonClient, input: Record<string, unknown>): Promise<number[]> {
  const path = (cursor?: string) =>
    `/api/trpc/jobs.list?input=${encodeURIComponent(JSON.stringify({ ...input, limit: 20, ...(cursor ? { cursor } : {}) }))}`;
  const first = await client.request<{ result: { data: { nextCursor: string | null } } }>('GET', path());
  if (first.status !== 200) throw new Error(`jobs.list ${JSON.stringify(input)} → ${first.status}`);
  const next = first.body.result.data.nextCursor;
  const second = next ? await client.request('GET', path(next)) : null;
  return [first.ms, ...(second ? [second.ms] : [])];
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)![1]);
}

export async function run(): Promise<BenchResult[]> {
  // One API process + Redis per history size, requests interleaved across them, so load from
  // anything else on the machine hits every size alike.
  const stacks = await Promise.all(SIZES.map(() => startBenchStack()));
  const redises = stacks.map((s) => new Redis(s.redis.url));
  const clients = stacks.map((s) => new JsonClient(s.url, 1));
  try {
    // A real record as the API makes it (full effective config), used as the template.
    const template = (await clients[0]!.mutate<JobRecord>('generation.start', { config: { prompt: 'a portrait of ohwx_bench by a window, soft light' } })).body;
    const redis = redises[0]!;
    await redis.flushall();

    // Bytes per job: this layout vs the earlier one, each on an empty Redis.
    const epoch = Date.UTC(2026, 0, 1);
    let before = await usedMemory(redis);
    await seed(redis, template, 0, BYTES_JOBS, epoch);
    const bytesNow = ((await usedMemory(redis)) - before) / BYTES_JOBS;
    await redis.flushall();
    // Database 1: the API (on database 0) would move a legacy index over if it saw one.
    const legacy = new Redis(stacks[0]!.redis.url.replace(/\/0$/, '/1'));
    before = await usedMemory(redis);
    for (let start = 0; start < BYTES_JOBS; start += 2000) {
      const pipe = legacy.pipeline();
      for (let i = start; i < start + 2000; i++) {
        const r = jobAt(template, i, epoch);
        pipe.set(jobKey(r.id), JSON.stringify(r)).zadd(`${KEY_PREFIX}jobs:${r.type}`, scoreOf(r), r.id).zadd(`${KEY_PREFIX}jobs:all`, scoreOf(r), r.id);
      }
      await pipe.exec();
    }
    const bytesLegacy = ((await usedMemory(redis)) - before) / BYTES_JOBS;
    await legacy.flushdb();
    legacy.disconnect();
    const recordBytes = JSON.stringify(jobAt(template, 1, epoch)).length;
    await redis.flushall();

    for (const [i, size] of SIZES.entries()) await seed(redises[i]!, template, 0, size, epoch);
    const samples: Record<string, number[][]> = Object.fromEntries(FILTERS.map((f) => [f.name, SIZES.map(() => [])]));
    for (let pass = 0; pass < SAMPLES + 3; pass++) {
      for (const f of FILTERS) {
        for (const [i] of SIZES.entries()) {
          const ms = await pageTimes(clients[i]!, f.input);
          if (pass >= 3) samples[f.name]![i]!.push(...ms);
        }
      }
    }
    const p95 = (f: Filter, sizeIndex: number) => percentile(samples[f.name]![sizeIndex]!, 95);
    const worst = (sizeIndex: number, filters: Filter[]) =>
      filters.map((f) => ({ f, ratio: p95(f, sizeIndex) / p95(f, 0) })).sort((a, b) => b.ratio - a.ratio)[0]!;
    const detail = (sizeIndex: number, filters: Filter[]) =>
      filters.map((f) => `${f.name} ${round(p95(f, 0), 2)}→${round(p95(f, sizeIndex), 2)} ms`).join('; ');
    const filtered = FILTERS.filter((f) => f.name !== 'unfiltered');
    const w10k = worst(1, filtered);
    const w100k = worst(2, FILTERS);
    const how = `jobs.list p95 over ${SAMPLES} rounds of the first page and the page after (limit 20), HTTP to an API process per size, requests interleaved across sizes`;
    return [
      {
        name: 'jobs_list_filtered_10k_vs_100',
        baseline: round(p95(w10k.f, 0), 2),
        value: round(p95(w10k.f, 1), 2),
        ratio: round(w10k.ratio, 3),
        unit: 'ms p95',
        notes: `worst filter (${w10k.f.name}) at 10,000 jobs vs 100: ${how}; every filter: ${detail(1, filtered)}`,
      },
      {
        name: 'jobs_list_100k_vs_100',
        baseline: round(p95(w100k.f, 0), 2),
        value: round(p95(w100k.f, 2), 2),
        ratio: round(w100k.ratio, 3),
        unit: 'ms p95',
        notes: `worst filter (${w100k.f.name}) at 100,000 jobs vs 100; every filter: ${detail(2, FILTERS)}`,
      },
      {
        name: 'redis_bytes_per_job',
        baseline: round(bytesLegacy),
        value: round(bytesNow),
        ratio: ratioOf(bytesNow, bytesLegacy),
        unit: 'bytes',
        notes: `used_memory growth / ${BYTES_JOBS} generation/training jobs (record JSON ${recordBytes} B: the API's own record with its full effective config) in this layout (record + one status index + per-character index) vs the earlier one (record + per-type + all index), same Redis, same records`,
      },
    ];
  } finally {
    for (const c of clients) c.close();
    for (const r of redises) r.disconnect();
    await Promise.all(stacks.map((s) => s.stop()));
  }
}
