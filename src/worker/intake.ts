/**
 * How a worker takes a job off a queue. With the GPU lock, a job that arrives while the GPU is
 * busy waits for it — unless another worker is idle, in which case it is handed over (re-queued
 * under a fresh bee-queue id) so it never sits behind an hour of training. The record and the
 * job's log say what happened; the lease in the processor keeps a job from running twice.
 */
import { randomBytes } from 'node:crypto';
import type BeeQueue from 'bee-queue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobType } from '../shared/jobs.js';
import { runWithCorrelation } from '../shared/node/correlation.js';
import { JobLogger } from '../shared/node/job-logger.js';
import type { QueuePayload } from '../shared/node/queues.js';
import type { VolumePaths } from '../shared/node/volume.js';
import { markIdle, otherIdleWorkers } from '../shared/node/worker-registry.js';
import type { JobLock } from './gpu-lock.js';
import type { JobProcessor } from './processor.js';

export interface IntakeDeps {
  lock: JobLock;
  processor: JobProcessor;
  redis: Redis;
  paths: VolumePaths;
  logger: Logger;
  workerName: string;
  isStopping: () => boolean;
  /** How often a waiting job looks for an idle worker. */
  handOverCheckMs: number;
}

const never = () => new Promise<void>(() => undefined);
/** A job offered to a set of idle workers is not offered to the same ones again this soon. */
const OFFER_MEMORY_MS = 10_000;

export function createIntake(deps: IntakeDeps) {
  const { lock, processor, redis, workerName } = deps;

  const setIdle = (idle: boolean) => markIdle(redis, workerName, idle).catch(() => undefined);
  // A worker killed without warning still looks idle for a few seconds; remembering whom a job
  // was offered to keeps it from bouncing back and forth meanwhile.
  const offers = new Map<string, { workers: Set<string>; at: number }>();

  async function idleCandidates(jobId: string): Promise<string[]> {
    const now = Date.now();
    for (const [id, offer] of offers) if (now - offer.at > OFFER_MEMORY_MS) offers.delete(id);
    const offered = offers.get(jobId)?.workers ?? new Set<string>();
    return (await otherIdleWorkers(redis, workerName)).filter((w) => !offered.has(w));
  }

  async function handOver(queue: BeeQueue<QueuePayload>, payload: QueuePayload, idle: string[]): Promise<void> {
    const offer = offers.get(payload.id) ?? { workers: new Set<string>(), at: 0 };
    for (const w of idle) offer.workers.add(w);
    offers.set(payload.id, { workers: offer.workers, at: Date.now() });
    await queue.createJob(payload).setId(`${payload.id}~${randomBytes(3).toString('hex')}`).save();
    runWithCorrelation(payload.correlation_id, () => {
      const log = new JobLogger({ jobId: payload.id, service: 'worker', logPath: deps.paths.jobLog(payload.id), logger: deps.logger });
      log.info(`Worker ${workerName} is busy; handed the job to an idle worker`, 'job.handover', { from: workerName, idle_workers: idle });
      log.close();
    });
  }

  return {
    /** The worker is idle whenever nothing holds the GPU; the heartbeat re-confirms it. */
    refreshIdle: () => setIdle(!lock.busy && processor.activeJobIds.length === 0),

    handler: (type: JobType, queue: BeeQueue<QueuePayload>) => async (job: BeeQueue.Job<QueuePayload>): Promise<void> => {
      // A job still waiting for the GPU when we stop is left un-acknowledged: bee-queue's stall
      // check hands it to another worker instead of losing it.
      if (deps.isStopping()) return never();
      let idle: string[] = [];
      const granted = await lock.acquire({
        checkMs: deps.handOverCheckMs,
        giveUp: async () => (idle = await idleCandidates(job.data.id)).length > 0,
      });
      if (!granted) return handOver(queue, job.data, idle);
      if (deps.isStopping()) return never();
      await setIdle(false);
      try {
        await processor.process(type, job.data);
      } finally {
        lock.release();
        if (!lock.busy) await setIdle(true);
      }
    },
  };
}
