/**
 * GPU-side readiness as the workers see it. The API may run on a host with no GPU, no ComfyUI and
 * no trainer (a CPU box in front of GPU workers): checks run there would report the API host, not
 * the pod that runs the jobs. So each worker runs the GPU-side checks at start and every minute
 * and stores them in Redis with a TTL; the API answers from the live workers' reports, and runs
 * the checks itself only while no worker has reported (then says so in each message).
 */
import type { Redis } from 'ioredis';
import type { Readiness, ReadinessItem, ReadinessStatus } from '../../readiness.js';
import type { Config } from '../config.js';
import { KEY_PREFIX } from '../redis.js';
import { liveWorkers } from '../worker-registry.js';
import { runGpuSideChecks, runHostChecks, type ReadinessDeps } from './index.js';

export const READINESS_REPORT_MS = 60_000;
const reportKey = (worker: string) => `${KEY_PREFIX}readiness:worker:${worker}`;

export interface WorkerReadinessReport {
  worker: string;
  at: string;
  items: ReadinessItem[];
}

export async function publishWorkerReadiness(redis: Redis, worker: string, items: ReadinessItem[], ttlMs = READINESS_REPORT_MS * 3): Promise<void> {
  const report: WorkerReadinessReport = { worker, at: new Date().toISOString(), items };
  await redis.set(reportKey(worker), JSON.stringify(report), 'PX', ttlMs);
}

export async function removeWorkerReadiness(redis: Redis, worker: string): Promise<void> {
  await redis.del(reportKey(worker));
}

/** Reports of workers whose heartbeat is current, by worker name. A torn or foreign value is skipped. */
export async function readWorkerReadiness(redis: Redis): Promise<WorkerReadinessReport[]> {
  const names = (await liveWorkers(redis)).sort();
  if (names.length === 0) return [];
  const raws = await redis.mget(...names.map(reportKey));
  const reports: WorkerReadinessReport[] = [];
  for (const raw of raws) {
    try {
      const r = raw ? (JSON.parse(raw) as WorkerReadinessReport) : null;
      if (r && typeof r.worker === 'string' && Array.isArray(r.items)) reports.push(r);
    } catch {
      // skipped: the next report replaces it
    }
  }
  return reports;
}

const RANK: Record<ReadinessStatus, number> = { ok: 0, warn: 1, fail: 2 };

/**
 * One item per check id across workers: the worst status; the message names each worker when they
 * disagree (one pod with a GPU and one without is worth seeing), or once when they agree.
 */
export function mergeWorkerItems(reports: readonly WorkerReadinessReport[]): ReadinessItem[] {
  const ids: string[] = [];
  const byId = new Map<string, { worker: string; item: ReadinessItem }[]>();
  for (const r of reports) {
    for (const item of r.items) {
      if (!byId.has(item.id)) {
        ids.push(item.id);
        byId.set(item.id, []);
      }
      byId.get(item.id)!.push({ worker: r.worker, item });
    }
  }
  return ids.map((id) => {
    const seen = byId.get(id)!;
    const worst = seen.reduce((a, b) => (RANK[b.item.status] > RANK[a.item.status] ? b : a));
    const same = seen.every((s) => s.item.status === worst.item.status && s.item.message === worst.item.message);
    const message = same
      ? `${worst.item.message} (${seen.length === 1 ? `worker ${worst.worker}` : `all ${seen.length} workers`})`
      : seen.map((s) => `${s.worker}: ${s.item.message}`).join('; ');
    return { id, status: worst.item.status, message, ...(worst.item.fix ? { fix: worst.item.fix } : {}) };
  });
}

/** The API's answer: GPU-side items from the workers' reports, host items checked here. */
export async function readinessFromWorkers(config: Config, deps: ReadinessDeps): Promise<Readiness> {
  const reports = deps.redis ? await readWorkerReadiness(deps.redis).catch(() => []) : [];
  const [gpuSide, host] = await Promise.all([
    reports.length > 0
      ? mergeWorkerItems(reports)
      : runGpuSideChecks(config, deps).then((items) =>
          items.map((i) => ({ ...i, message: `${i.message} (checked on the API host: no worker has reported yet)` })),
        ),
    runHostChecks(config, deps),
  ]);
  return { items: [...gpuSide, ...host] };
}
