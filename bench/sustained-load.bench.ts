/**
 * Sustained load: 20 closed-loop clients, each creating a generation job through the API
 * (`generation.start` over keep-alive HTTP) and waiting for it to finish before the next, for
 * BENCH_LOAD_SECONDS (default 30) with 2 mock workers, against the same with 1 worker, each on a
 * fresh stack (private Redis, API process, worker processes). Completion is observed on the job
 * store's pub/sub channel from the harness and every created record is checked at the end: a job
 * that never reaches `completed` counts as lost.
 */
import type { JobRecord } from '../src/shared/jobs.js';
import { JsonClient } from './lib/http.js';
import { JobWatcher } from './lib/job-watch.js';
import { startBenchStack } from './lib/stack.js';
import { percentile, sleep } from './lib/stats.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const CLIENTS = 20;
const SECONDS = Math.max(1, Number(process.env.BENCH_LOAD_SECONDS ?? 30));
const MOCK_STEP_MS = '1';
const JOB_TIMEOUT_MS = 30_000;
const DRAIN_MS = 30_000;

interface PhaseResult {
  workers: number;
  created: number;
  completedInWindow: number;
  completed: number;
  failed: number;
  lost: number;
  requestErrors: number;
  jobsPerSecond: number;
  p50: number;
  p99: number;
}

const jobInput = (client: number, n: number) => ({
  config: { prompt: `sustained load ${client}/${n}`, width: 512, height: 512, steps: 1, seed: client * 1_000_000 + n + 1 },
});

async function phase(workers: number): Promise<PhaseResult> {
  const stack = await startBenchStack({ workers, env: { MOCK_STEP_MS } });
  const client = new JsonClient(stack.url, CLIENTS);
  let watcher: JobWatcher | null = null;
  try {
    watcher = await JobWatcher.start(stack.redis.url);
    const w = watcher;
    // Warm-up: one job per client, not counted.
    const warm = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client.mutate<JobRecord>('generation.start', jobInput(c, -1))));
    for (const { body } of warm) if ((await w.waitTerminal(body.id, JOB_TIMEOUT_MS))?.status !== 'completed') throw new Error(`warm-up job ${body.id} did not complete`);

    const created: string[] = [];
    const latencies: number[] = [];
    let requestErrors = 0;
    const start = Date.now();
    const end = start + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let n = 0; Date.now() < end; n++) {
          let id: string;
          try {
            const res = await client.mutate<JobRecord>('generation.start', jobInput(c, n));
            id = res.body.id;
            latencies.push(res.ms);
            created.push(id);
          } catch {
            requestErrors++;
            await sleep(100);
            continue;
          }
          await w.waitTerminal(id, JOB_TIMEOUT_MS);
        }
      }),
    );

    // Every created job must reach `completed`; give stragglers DRAIN_MS.
    let records = await w.getMany(created);
    const drainEnd = Date.now() + DRAIN_MS;
    while (records.some((r) => r?.status !== 'completed' && !['failed', 'cancelled'].includes(r?.status ?? '')) && Date.now() < drainEnd) {
      await sleep(250);
      records = await w.getMany(created);
    }
    const completed = records.filter((r) => r?.status === 'completed').length;
    const failed = records.filter((r) => r?.status === 'failed' || r?.status === 'cancelled').length;
    const completedInWindow = created.filter((id, i) => records[i]?.status === 'completed' && (w.terminalAt(id) ?? Infinity) <= end).length;
    return {
      workers,
      created: created.length,
      completedInWindow,
      completed,
      failed,
      lost: created.length - completed,
      requestErrors,
      jobsPerSecond: completedInWindow / SECONDS,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
  } finally {
    watcher?.close();
    client.close();
    await stack.stop();
  }
}

export async function run(): Promise<BenchResult[]> {
  const one = await phase(1);
  const two = await phase(2);
  const setup = `${CLIENTS} closed-loop clients × ${SECONDS} s, generation 512×512, steps 1, MOCK_STEP_MS=${MOCK_STEP_MS}, API + workers + Redis as separate processes`;
  const cpuNote = 'host has 2 cores shared by the API, the workers, Redis and the load generator, so scaling is CPU-bound here';
  return [
    {
      name: 'sustained_completed_jobs_per_s',
      baseline: round(one.jobsPerSecond, 2),
      value: round(two.jobsPerSecond, 2),
      ratio: ratioOf(two.jobsPerSecond, one.jobsPerSecond),
      unit: 'jobs/s',
      notes: `ratio = scaling 2 workers / 1 worker; ${setup}; ${cpuNote}`,
    },
    {
      name: 'sustained_enqueue_p50',
      baseline: round(one.p50, 2),
      value: round(two.p50, 2),
      ratio: ratioOf(two.p50, one.p50),
      unit: 'ms',
      notes: `generation.start round trip under load, 2 workers (value) vs 1 worker (baseline); lower is better`,
    },
    {
      name: 'sustained_enqueue_p99',
      baseline: round(one.p99, 2),
      value: round(two.p99, 2),
      ratio: ratioOf(two.p99, one.p99),
      unit: 'ms',
      notes: `same samples as sustained_enqueue_p50; lower is better`,
    },
    {
      name: 'sustained_lost_jobs',
      baseline: one.created + two.created,
      value: one.lost + two.lost,
      ratio: ratioOf(one.lost + two.lost, one.created + two.created, 5),
      unit: 'jobs',
      notes:
        `baseline = jobs created (1w ${one.created}, 2w ${two.created}), value = not completed ${DRAIN_MS / 1000} s after the window ` +
        `(1w ${one.lost}, 2w ${two.lost}; failed/cancelled ${one.failed + two.failed}); request errors ${one.requestErrors + two.requestErrors}; goal 0`,
    },
  ];
}
