/**
 * bee-queue queues `training` and `generation`. Transport only: the payload is {id, correlation_id};
 * the record in Redis holds everything else.
 */
import BeeQueue from 'bee-queue';
import type { JobType } from '../jobs.js';
import { beeQueueRedisOptions } from './redis.js';

export interface QueuePayload {
  id: string;
  correlation_id: string;
}

export interface QueueOptions {
  isWorker: boolean;
  /** ms; a worker that has not renewed its lock for this long is considered dead. */
  stallInterval?: number;
}

export function createQueue(type: JobType, redisUrl: string, opts: QueueOptions): BeeQueue<QueuePayload> {
  return new BeeQueue<QueuePayload>(type, {
    prefix: 'isengard:bq',
    redis: beeQueueRedisOptions(redisUrl) as never,
    isWorker: opts.isWorker,
    getEvents: false,
    sendEvents: false,
    activateDelayedJobs: opts.isWorker,
    removeOnSuccess: true,
    removeOnFailure: true,
    stallInterval: opts.stallInterval ?? 5000,
  });
}

export async function enqueue(queue: BeeQueue<QueuePayload>, payload: QueuePayload): Promise<void> {
  await queue.createJob(payload).setId(payload.id).save();
}
