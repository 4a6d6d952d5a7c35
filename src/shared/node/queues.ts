/**
 * The GPU pool's one bee-queue queue. Every job type goes on it and every worker takes one job
 * at a time (concurrency 1), so a job is only ever taken by a worker that is idle: nothing waits
 * behind a busy GPU while another one is free. Transport only: the payload is
 * {id, correlation_id, type}; the record in Redis holds everything else. The bee-queue job id is
 * the record id, so saving the same job twice is a no-op and cancel can remove it by id.
 */
import BeeQueue from 'bee-queue';
import type { JobType } from '../jobs.js';
import { reloadScriptsAfterRedisRestart } from './bee-queue-script-reload.js';
import { beeQueueRedisOptions } from './redis.js';

export const QUEUE_PREFIX = 'isengard:bq';
export const GPU_QUEUE = 'gpu';
/**
 * A job is started at most this many times: once, plus once more after its worker died or after
 * a failure that was not a NonRetryableError.
 */
export const MAX_ATTEMPTS = 2;
export const DEFAULT_RETRY_DELAY_MS = 5000;

export interface QueuePayload {
  id: string;
  correlation_id: string;
  /** For logs and queue inspection; the worker routes by the record's type. */
  type: JobType;
}

export type JobQueue = BeeQueue<QueuePayload>;
export type QueuedJob = BeeQueue.Job<QueuePayload>;

export interface QueueOptions {
  isWorker: boolean;
  /** ms; a worker that has not renewed its claim for this long is considered dead. */
  stallInterval?: number;
}

export function createQueue(redisUrl: string, opts: QueueOptions): JobQueue {
  const queue = new BeeQueue<QueuePayload>(GPU_QUEUE, {
    prefix: QUEUE_PREFIX,
    redis: beeQueueRedisOptions(redisUrl) as never,
    isWorker: opts.isWorker,
    getEvents: false,
    sendEvents: false,
    // Without this, bee-queue keeps every Job it saved in an in-process Map that only the
    // (disabled) events would clear: the API would grow by one Job per request forever.
    storeJobs: false,
    // A retried job waits in the `delayed` set; only workers need to move it back to `waiting`.
    activateDelayedJobs: opts.isWorker,
    removeOnSuccess: true,
    removeOnFailure: true,
    stallInterval: opts.stallInterval ?? 5000,
  });
  reloadScriptsAfterRedisRestart(queue);
  return queue;
}

export async function enqueue(queue: JobQueue, payload: QueuePayload, opts: { retryDelayMs?: number } = {}): Promise<void> {
  await queue
    .createJob(payload)
    .setId(payload.id)
    .retries(MAX_ATTEMPTS - 1)
    .backoff('fixed', opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS)
    .save();
}

/**
 * Puts a job back in the queue to be taken after `delayMs` (a deferred job). Its own bee-queue id
 * (record id + a suffix) because the entry being processed still holds the record id until its
 * handler returns; the worker routes by `payload.id`, and drops an entry whose record is final.
 */
export async function enqueueLater(queue: JobQueue, payload: QueuePayload, delayMs: number): Promise<void> {
  await queue
    .createJob(payload)
    .setId(`${payload.id}.later-${Date.now().toString(36)}`)
    .retries(MAX_ATTEMPTS - 1)
    .backoff('fixed', DEFAULT_RETRY_DELAY_MS)
    .delayUntil(Date.now() + delayMs)
    .save();
}
