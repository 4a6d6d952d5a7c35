/**
 * bee-queue queues `training` and `generation`. Transport only: the payload is {id, correlation_id};
 * the record in Redis holds everything else.
 */
import { createRequire } from 'node:module';
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

const require = createRequire(import.meta.url);
const lua = require('bee-queue/lib/lua/index.js') as { buildCache(client: unknown): Promise<unknown> };

type EvalOn = (commandable: unknown, args: unknown[]) => Promise<unknown>;
interface QueueInternals {
  client?: { on(event: 'ready', fn: () => void): void };
  _evalScriptOn: EvalOn;
}

/**
 * bee-queue loads its Lua scripts once (SCRIPT LOAD) and then only calls EVALSHA. A restarted
 * Redis has forgotten them, and every queue operation fails with NOSCRIPT forever. Reload the
 * scripts on reconnect, and retry a call once after reloading if NOSCRIPT still slips through.
 */
function surviveRedisRestart(queue: BeeQueue<QueuePayload>): void {
  const internals = queue as unknown as QueueInternals;
  const original = internals._evalScriptOn.bind(queue);
  internals._evalScriptOn = (commandable, args) => {
    const retryArgs = [...args];
    return original(commandable, args).catch(async (err: unknown) => {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      await lua.buildCache(internals.client);
      return original(commandable, retryArgs);
    });
  };
  void queue.ready().then(() => {
    internals.client?.on('ready', () => void lua.buildCache(internals.client).catch(() => undefined));
  }).catch(() => undefined);
}

export function createQueue(type: JobType, redisUrl: string, opts: QueueOptions): BeeQueue<QueuePayload> {
  const queue = new BeeQueue<QueuePayload>(type, {
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
  surviveRedisRestart(queue);
  return queue;
}

export async function enqueue(queue: BeeQueue<QueuePayload>, payload: QueuePayload): Promise<void> {
  await queue.createJob(payload).setId(payload.id).save();
}
