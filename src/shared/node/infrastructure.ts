/**
 * What an API process and a worker process both build from a config: the Redis connections, the
 * job store and its pub/sub events, the volume's paths and stores, and the GPU queue. One factory
 * so the two sides cannot drift apart (key prefixes, queue settings, connection behaviour).
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { CharacterStore } from './character-store.js';
import type { Config } from './config.js';
import { JobEvents } from './job-events.js';
import { JobStore } from './job-store.js';
import { LoraStore } from './lora-store.js';
import { createQueue, type JobQueue } from './queues.js';
import { redisLock } from './redis-lock.js';
import { createRedis, createSubscriber } from './redis.js';
import { VolumePaths } from './volume.js';

export interface InfrastructureOptions {
  /**
   * `api` fails fast while Redis is down (requests answer 503); `worker` queues its commands
   * through a short outage so a running job's updates are not lost.
   */
  role: 'api' | 'worker';
  /** Worker: bee-queue stall interval in ms. */
  stallInterval?: number;
}

export interface Infrastructure {
  config: Config;
  redis: Redis;
  subscriber: Redis;
  queue: JobQueue;
  paths: VolumePaths;
  store: JobStore;
  events: JobEvents;
  characters: CharacterStore;
  loras: LoraStore;
  /** Closes the queue (letting its active jobs finish within queueCloseMs) and every connection. */
  close(queueCloseMs?: number): Promise<void>;
}

export function createInfrastructure(config: Config, logger: Logger, opts: InfrastructureOptions): Infrastructure {
  const worker = opts.role === 'worker';
  const redis = createRedis(config.REDIS_URL, worker ? { enableOfflineQueue: true, maxRetriesPerRequest: 3 } : {});
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const subscriber = createSubscriber(config.REDIS_URL);
  subscriber.on('error', (err) => logger.warn({ err: err.message }, 'redis subscriber error'));
  const queue = createQueue(config.REDIS_URL, { isWorker: worker, stallInterval: opts.stallInterval });
  // Without a listener bee-queue's connection errors would crash the process; they are logged, and
  // the callers see the failures on the commands themselves.
  queue.on('error', (err) => logger.warn({ err: err.message }, 'queue connection error'));
  const paths = new VolumePaths(config.VOLUME_ROOT);
  const store = new JobStore(redis);
  const events = new JobEvents(subscriber, logger.child({ component: 'job-events' }));
  return {
    config,
    redis,
    subscriber,
    queue,
    paths,
    store,
    events,
    characters: new CharacterStore(paths, redisLock(redis)),
    loras: new LoraStore(paths),
    async close(queueCloseMs = 1000) {
      await queue.close(queueCloseMs).catch(() => undefined);
      await events.close();
      await store.close();
      redis.disconnect();
    },
  };
}
