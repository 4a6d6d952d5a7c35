import type { Redis } from 'ioredis';
import type { ApiInfo, CaptionCapabilities, ImageCapabilities, TrainingCapabilities } from '../../shared/capabilities.js';
import type { Readiness } from '../../shared/readiness.js';
import { countLiveWorkers } from '../../shared/node/worker-registry.js';
import { isWriteRefusal, KEY_PREFIX, writeRefusalReason } from '../../shared/node/redis.js';

/** The doctor spawns python and probes ComfyUI: one run serves every caller for this long. */
const READINESS_CACHE_MS = 15_000;

export interface Health {
  status: 'ok' | 'degraded';
  /** `refuses-writes`: Redis answers reads but refuses changes (out of memory, read-only, failed save). */
  redis: 'ok' | 'down' | 'refuses-writes';
  /** Why Redis refuses writes: OOM, READONLY, MISCONF or NOREPLICAS. */
  redis_reason?: string;
  workers: number;
}

const WRITE_PROBE_KEY = `${KEY_PREFIX}health:write-probe`;

export class SystemService {
  private readinessRun: { at: number; result: Promise<Readiness> } | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly meta: { version: string; mode: string; training: TrainingCapabilities; image: ImageCapabilities; caption: CaptionCapabilities },
    private readonly checkReadiness: () => Promise<Readiness> = async () => ({ items: [] }),
  ) {}

  readiness(): Promise<Readiness> {
    if (!this.readinessRun || Date.now() - this.readinessRun.at > READINESS_CACHE_MS) {
      const result = this.checkReadiness();
      this.readinessRun = { at: Date.now(), result };
      result.catch(() => (this.readinessRun = null));
    }
    return this.readinessRun.result;
  }

  info(): ApiInfo {
    return {
      name: 'Isengard API',
      version: this.meta.version,
      mode: this.meta.mode,
      training: this.meta.training,
      image_generation: this.meta.image,
      captioning: this.meta.caption,
    };
  }

  async health(): Promise<Health> {
    try {
      await this.redis.ping();
    } catch {
      return { status: 'degraded', redis: 'down', workers: 0 };
    }
    try {
      // A PING passes even when every write would fail: only a write tells.
      await this.redis.set(WRITE_PROBE_KEY, String(Date.now()), 'PX', 60_000);
      return { status: 'ok', redis: 'ok', workers: await countLiveWorkers(this.redis) };
    } catch (err) {
      const workers = await countLiveWorkers(this.redis).catch(() => 0);
      if (isWriteRefusal(err)) return { status: 'degraded', redis: 'refuses-writes', redis_reason: writeRefusalReason(err), workers };
      return { status: 'degraded', redis: 'down', workers };
    }
  }
}
