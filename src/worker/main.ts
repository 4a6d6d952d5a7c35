/**
 * Worker process: one per GPU. Takes one job at a time from the GPU queue (every job type),
 * heartbeats for /api/health, re-runs jobs of dead workers through bee-queue stall detection, and
 * on SIGTERM stops taking jobs, lets the current one finish within WORKER_STOP_GRACE_SECONDS,
 * then cancels it.
 */
import os from 'node:os';
import { loadConfigOrExit } from '../shared/node/config.js';
import { createInfrastructure } from '../shared/node/infrastructure.js';
import { createLogger } from '../shared/node/logger.js';
import type { QueuedJob } from '../shared/node/queues.js';
import { heartbeat, HEARTBEAT_MS, removeWorker } from '../shared/node/worker-registry.js';
import { runGpuSideChecks } from '../shared/node/readiness/index.js';
import { publishWorkerReadiness, READINESS_REPORT_MS, removeWorkerReadiness } from '../shared/node/readiness/worker-reports.js';
import { createBackends } from './backends/registry.js';
import { createJobHandlers } from './jobs/registry.js';
import { drainLegacyQueues } from './legacy-queue-drain.js';
import { JobProcessor } from './processor.js';

const config = loadConfigOrExit();
const gpu = process.env.CUDA_VISIBLE_DEVICES;
const workerName = config.WORKER_NAME ?? `${os.hostname()}-${process.pid}${gpu ? `-gpu${gpu}` : ''}`;
const logger = createLogger({ level: config.LOG_LEVEL, service: 'worker' }).child({ component: 'worker', worker: workerName });
const stallInterval = Number(process.env.ISENGARD_STALL_INTERVAL_MS ?? 5000);

const infra = createInfrastructure(config, logger, { role: 'worker', stallInterval });
const { redis, store, events, paths, queue } = infra;
const backends = createBackends(config);
await backends.training.init?.(logger);
await backends.image.init?.(logger);
await backends.caption.init?.(logger);

const processor = new JobProcessor({
  store,
  paths,
  handlers: createJobHandlers({
    paths,
    characters: infra.characters,
    loras: infra.loras,
    training: backends.training,
    image: backends.image,
    caption: backends.caption,
    store,
    redis,
    ...(backends.image.name === 'comfyui' ? { comfyuiDir: config.COMFYUI_DIR } : {}),
  }),
  logger,
  workerName,
  // Below the stall interval: a dead worker's lease must be gone before its job comes back.
  leaseMs: Math.floor(stallInterval / 2),
});
events.onCancel(({ id, by }) => {
  if (processor.cancel(id, { kind: 'user', by })) logger.info({ job_id: id, by }, 'cancel requested');
});

const moved = await drainLegacyQueues(redis, store, queue).catch((err: unknown) => {
  logger.error({ err }, 'could not move jobs out of the old per-type queues');
  return [];
});
if (moved.length > 0) logger.info({ jobs: moved }, 'moved jobs from the old per-type queues to the GPU queue');

let stopping = false;
const never = () => new Promise<void>(() => undefined);
queue.on('stalled', (jobId) => logger.warn({ job_id: jobId }, 'stalled job re-queued'));
// Concurrency 1: this worker asks for a job only while it has none, so a job always goes to an
// idle worker and never waits behind a busy one.
queue.process(1, (job: QueuedJob) =>
  // A job taken while stopping is left un-acknowledged: the stall check gives it to another worker.
  stopping ? never() : processor.handle(job),
);
void queue.checkStalledJobs(stallInterval).catch((err: unknown) => logger.error({ err }, 'stall check failed'));

const beat = () => heartbeat(redis, workerName).catch((err: unknown) => logger.warn({ err }, 'heartbeat failed'));
await beat();
const beatTimer = setInterval(beat, HEARTBEAT_MS);
// The API may run elsewhere: it answers system.readiness from what each worker sees of its own GPU side.
const reportReadiness = () =>
  runGpuSideChecks(config, { redis })
    .then((items) => publishWorkerReadiness(redis, workerName, items))
    .catch((err: unknown) => logger.warn({ err }, 'readiness report failed'));
void reportReadiness();
const readinessTimer = setInterval(reportReadiness, READINESS_REPORT_MS);
logger.info({ training: backends.training.name, image: backends.image.name, caption: backends.caption.name, gpu: gpu ?? null }, 'worker ready');

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  const graceMs = config.WORKER_STOP_GRACE_SECONDS * 1000;
  logger.info({ signal, active: processor.activeJobIds, grace_s: config.WORKER_STOP_GRACE_SECONDS }, 'stopping: no new jobs');
  const cancelTimer = setTimeout(() => {
    if (processor.activeJobIds.length) logger.warn({ active: processor.activeJobIds }, 'grace period over: cancelling');
    processor.abortAll();
  }, graceMs);
  await queue.close(graceMs + 5_000).catch(() => undefined);
  clearTimeout(cancelTimer);
  clearInterval(beatTimer);
  clearInterval(readinessTimer);
  await removeWorker(redis, workerName).catch(() => undefined);
  await removeWorkerReadiness(redis, workerName).catch(() => undefined);
  await backends.image.close?.();
  await backends.training.close?.();
  await backends.caption.close?.();
  await infra.close();
  logger.info('worker stopped');
  logger.flush();
  setTimeout(() => process.exit(0), 50);
}

process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
