/** Builds every service once per API process from its infrastructure. */
import type { Logger } from 'pino';
import type { Infrastructure } from '../../shared/node/infrastructure.js';
import { activeManifests } from '../manifests.js';
import { CharactersService } from './characters.service.js';
import { GenerationService } from './generation.service.js';
import { JobsService } from './jobs.service.js';
import { LorasService } from './loras.service.js';
import { RateLimiter } from './rate-limiter.service.js';
import { SystemService } from './system.service.js';
import { TrainingService } from './training.service.js';

export function createServices(infra: Infrastructure, opts: { version: string; logger: Logger }) {
  const { config, redis, paths, store, events, characters, loras } = infra;
  const { logger } = opts;
  const manifests = activeManifests(config);
  const jobs = new JobsService({ store, events, queue: infra.queue, paths, redis, logger: logger.child({ component: 'jobs' }) });
  return {
    config,
    paths,
    store,
    events,
    characterStore: characters,
    loraStore: loras,
    manifests,
    system: new SystemService(redis, { version: opts.version, mode: config.ISENGARD_MODE, ...manifests }),
    jobs,
    training: new TrainingService({ jobs, characters, paths }),
    generation: new GenerationService({ jobs, loras }),
    characters: new CharactersService({ characters, store }),
    loras: new LorasService({ loras, store }),
    rateLimiter: new RateLimiter(redis, config.RATE_LIMIT_PER_MINUTE),
    /** Closes the queue and every connection of the infrastructure the services were built on. */
    close: () => infra.close(),
  };
}

export type Services = ReturnType<typeof createServices>;
