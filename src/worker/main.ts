/**
 * Worker process: one per GPU. Consumes both queues, one job at a time by default (WORKER_LOCK),
 * heartbeats for /api/health, re-runs jobs of dead workers through bee-queue stall detection, and
 * on SIGTERM stops taking jobs, lets the current one finish within WORKER_STOP_GRACE_SECONDS,
 * then cancels it.
 */
import os from 'node:os';
import type BeeQueue from 'bee-queue';
import { JOB_TYPES } from '../shared/jobs.js';
import { loadConfigOrExit } from '../shared/node/config.js';
import { createLogger } from '../shared/node/logger.js';
import { createRedis, createSubscriber } from '../shared/node/redis.js';
import { JobStore } from '../shared/node/job-store.js';
import { JobEvents } from '../shared/node/job-events.js';
import { createQueue, type QueuePayload } from '../shared/node/queues.js';
import { VolumePaths } from '../shared/node/volume.js';
import { CharacterStore } from '../shared/node/character-store.js';
import { LoraStore } from '../shared/node/lora-store.js';
import { heartbeat, HEARTBEAT_MS, IDLE_REFRESH_MS, markIdle, removeWorker } from '../shared/node/worker-registry.js';
import { createBackends } from './backends/registry.js';
import { GpuLock, noLock } from './gpu-lock.js';
import { createIntake } from './intake.js';
import { JobProcessor } from './processor.js';

const config = loadConfigOrExit();
const gpu = process.env.CUDA_VISIBLE_DEVICES;
const workerName = config.WORKER_NAME ?? `${os.hostname()}-${process.pid}${gpu ? `-gpu${gpu}` : ''}`;
const logger = createLogger({ level: config.LOG_LEVEL, service: 'worker' }).child({ component: 'worker', worker: workerName });
const stallInterval = Number(process.env.ISENGARD_STALL_INTERVAL_MS ?? 5000);

const redis = createRedis(config.REDIS_URL, { enableOfflineQueue: true, maxRetriesPerRequest: 3 });
redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
const store = new JobStore(redis);
const subscriber = createSubscriber(config.REDIS_URL);
subscriber.on('error', (err) => logger.warn({ err: err.message }, 'redis subscriber error'));
const events = new JobEvents(subscriber, logger);
const paths = new VolumePaths(config.VOLUME_ROOT);
const backends = createBackends(config);
await backends.training.init?.(logger);
await backends.image.init?.(logger);

const processor = new JobProcessor({
  store,
  paths,
  characters: new CharacterStore(paths),
  loras: new LoraStore(paths),
  training: backends.training,
  image: backends.image,
  logger,
  workerName,
  // Below the stall interval: a dead worker's lease must be gone before its job comes back.
  leaseMs: Math.floor(stallInterval / 2),
});
events.onCancel(({ id, by }) => {
  if (processor.cancel(id, { kind: 'user', by })) logger.info({ job_id: id, by }, 'cancel requested');
});

let stopping = false;
const intake = createIntake({
  lock: config.WORKER_LOCK === 'gpu' ? new GpuLock() : noLock,
  processor,
  redis,
  paths,
  logger,
  workerName,
  isStopping: () => stopping,
  handOverCheckMs: Math.max(200, Math.min(2000, stallInterval)),
});
const queues: BeeQueue<QueuePayload>[] = JOB_TYPES.map((type) => {
  const queue = createQueue(type, config.REDIS_URL, { isWorker: true, stallInterval });
  queue.on('error', (err) => logger.error({ err, queue: type }, 'queue error'));
  queue.on('stalled', (jobId) => logger.warn({ job_id: jobId, queue: type }, 'stalled job re-queued'));
  queue.process(1, intake.handler(type, queue));
  void queue.checkStalledJobs(stallInterval).catch((err: unknown) => logger.error({ err }, 'stall check failed'));
  return queue;
});

const beat = () => heartbeat(redis, workerName).catch((err: unknown) => logger.warn({ err }, 'heartbeat failed'));
const idleTimer = setInterval(() => void (stopping || intake.refreshIdle()), IDLE_REFRESH_MS);
await intake.refreshIdle();
await beat();
const beatTimer = setInterval(beat, HEARTBEAT_MS);
logger.info(
  { training: backends.training.name, image: backends.image.name, lock: config.WORKER_LOCK, gpu: gpu ?? null },
  'worker ready',
);

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  await markIdle(redis, workerName, false).catch(() => undefined); // take no hand-overs from now on
  const graceMs = config.WORKER_STOP_GRACE_SECONDS * 1000;
  logger.info({ signal, active: processor.activeJobIds, grace_s: config.WORKER_STOP_GRACE_SECONDS }, 'stopping: no new jobs');
  const cancelTimer = setTimeout(() => {
    if (processor.activeJobIds.length) logger.warn({ active: processor.activeJobIds }, 'grace period over: cancelling');
    processor.abortAll();
  }, graceMs);
  await Promise.all(queues.map((q) => q.close(graceMs + 5_000).catch(() => undefined)));
  clearTimeout(cancelTimer);
  clearInterval(beatTimer);
  clearInterval(idleTimer);
  await removeWorker(redis, workerName).catch(() => undefined);
  await backends.image.close?.();
  await backends.training.close?.();
  await events.close();
  await store.close();
  redis.disconnect();
  logger.info('worker stopped');
  logger.flush();
  setTimeout(() => process.exit(0), 50);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
