/** Builds every service once per API process from its infrastructure. */
import type BeeQueue from 'bee-queue';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { JobType } from '../../shared/jobs.js';
import type { Config } from '../../shared/node/config.js';
import { CharacterStore } from '../../shared/node/character-store.js';
import { redisLock } from '../../shared/node/redis-lock.js';
import { JobEvents } from '../../shared/node/job-events.js';
import { JobStore } from '../../shared/node/job-store.js';
import { JobArchive } from '../../shared/node/job-archive.js';
import { JobRetention } from '../../shared/node/job-retention.js';
import { LoraStore } from '../../shared/node/lora-store.js';
import type { QueuePayload } from '../../shared/node/queues.js';
import { VolumePaths } from '../../shared/node/volume.js';
import { activeManifests } from '../manifests.js';
import { CharactersService } from './characters.service.js';
import { GenerationService } from './generation.service.js';
import { JobsService } from './jobs.service.js';
import { LorasService } from './loras.service.js';
import { RateLimiter } from './rate-limiter.service.js';
import { SystemService } from './system.service.js';
import { TrainingService } from './training.service.js';
import { SessionStore } from '../security/session-store.js';

export interface Infrastructure {
  config: Config;
  version: string;
  redis: Redis;
  subscriber: Redis;
  queues: Record<JobType, BeeQueue<QueuePayload>>;
  logger: Logger;
}

export function createServices(infra: Infrastructure) {
  const { config, redis, logger } = infra;
  const paths = new VolumePaths(config.VOLUME_ROOT);
  const store = new JobStore(redis);
  const events = new JobEvents(infra.subscriber, logger.child({ component: 'job-events' }));
  const characters = new CharacterStore(paths, redisLock(redis));
  const loras = new LoraStore(paths);
  const manifests = activeManifests(config);
  const archive = new JobArchive(paths.under('archive', 'jobs'));
  const retention = new JobRetention({ store, archive, redis, logger: logger.child({ component: 'job-retention' }) });
  retention.start(config.JOB_RETENTION_DAYS);
  const jobs = new JobsService({ store, archive, retention, events, queues: infra.queues, paths, redis, logger: logger.child({ component: 'jobs' }) });
  return {
    config,
    paths,
    store,
    events,
    characterStore: characters,
    loraStore: loras,
    manifests,
    system: new SystemService(redis, { version: infra.version, mode: config.ISENGARD_MODE, ...manifests }),
    jobs,
    training: new TrainingService({ jobs, characters, paths, store, loras }),
    generation: new GenerationService({ jobs, loras }),
    characters: new CharactersService({ characters, store }),
    loras: new LorasService({ loras, store, characters, paths }),
    /** Browser sessions exist only when a token protects the API. */
    sessions: config.ISENGARD_API_TOKEN ? new SessionStore(redis, { token: config.ISENGARD_API_TOKEN, idleMs: config.SESSION_IDLE_MINUTES * 60_000 }) : null,
    rateLimiter: new RateLimiter(redis, { changes: config.RATE_LIMIT_PER_MINUTE, 'auth-failures': config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE }),
    async close() {
      retention.stop();
      await events.close();
      await store.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
