/** Builds every service once per API process from its infrastructure. */
import type { Logger } from 'pino';
import type { Infrastructure } from '../../shared/node/infrastructure.js';
import { JobArchive } from '../../shared/node/job-archive.js';
import { JobRetention } from '../../shared/node/job-retention.js';
import { readinessFromWorkers } from '../../shared/node/readiness/worker-reports.js';
import { activeManifests } from '../active-manifests.js';
import { CharacterImagesService } from './character-images.service.js';
import { CharactersService } from './characters.service.js';
import { FilesService } from './files.service.js';
import { JobLogsService } from './job-logs.service.js';
import { GenerationService } from './generation.service.js';
import { JobsService } from './jobs.service.js';
import { LorasService } from './loras.service.js';
import { RateLimiter } from './rate-limiter.service.js';
import { SystemService } from './system.service.js';
import { TrainingService } from './training.service.js';
import { SessionStore } from '../security/session-store.js';
import { ThumbnailService } from './thumbnails.service.js';
import { SnapshotJanitor } from './snapshot-janitor.js';

export function createServices(infra: Infrastructure, opts: { version: string; logger: Logger }) {
  const { config, redis, paths, store, events, characters, loras } = infra;
  const { logger } = opts;
  const manifests = activeManifests(config);
  const archive = new JobArchive(paths.under('archive', 'jobs'));
  const retention = new JobRetention({ store, archive, redis, logger: logger.child({ component: 'job-retention' }) });
  retention.start(config.JOB_RETENTION_DAYS);
  const snapshots = new SnapshotJanitor({ events, store, paths, logger: logger.child({ component: 'snapshot-janitor' }) });
  snapshots.start();
  const jobs = new JobsService({ store, archive, retention, events, queue: infra.queue, paths, redis, logger: logger.child({ component: 'jobs' }) });
  return {
    config,
    paths,
    store,
    events,
    characterStore: characters,
    loraStore: loras,
    manifests,
    system: new SystemService(redis, { version: opts.version, mode: config.ISENGARD_MODE, ...manifests }, () =>
      readinessFromWorkers(config, { redis }),
    ),
    jobs,
    training: new TrainingService({ jobs, characters, paths, store, loras }),
    generation: new GenerationService({ jobs, loras }),
    characters: new CharactersService({ characters, store, loras, paths, jobs }),
    characterImages: new CharacterImagesService({ characters, paths, logger: logger.child({ component: 'character-images' }) }),
    files: new FilesService({ paths, imagesDir: (id) => characters.imagesDir(id) }),
    jobLogs: new JobLogsService({ paths, store, events }),
    loras: new LorasService({ loras, store, characters, paths }),
    /** Browser sessions exist only when a token protects the API. */
    sessions: config.ISENGARD_API_TOKEN ? new SessionStore(redis, { token: config.ISENGARD_API_TOKEN, idleMs: config.SESSION_IDLE_MINUTES * 60_000 }) : null,
    rateLimiter: new RateLimiter(redis, { changes: config.RATE_LIMIT_PER_MINUTE, 'auth-failures': config.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE }),
    thumbnails: new ThumbnailService(paths, logger.child({ component: 'thumbnails' })),
    snapshots,
    /** Stops retention and the snapshot janitor, then closes the queue and every connection of the infrastructure. */
    async close() {
      retention.stop();
      snapshots.stop();
      await infra.close();
    },
  };
}

export type Services = ReturnType<typeof createServices>;
