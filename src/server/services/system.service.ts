import type { Redis } from 'ioredis';
import type { ApiInfo, ImageCapabilities, TrainingCapabilities } from '../../shared/capabilities.js';
import { countLiveWorkers } from '../../shared/node/worker-registry.js';

export interface Health {
  status: 'ok' | 'degraded';
  redis: 'ok' | 'down';
  workers: number;
}

export class SystemService {
  constructor(
    private readonly redis: Redis,
    private readonly meta: { version: string; mode: string; training: TrainingCapabilities; image: ImageCapabilities },
  ) {}

  info(): ApiInfo {
    return {
      name: 'Isengard API',
      version: this.meta.version,
      mode: this.meta.mode,
      training: this.meta.training,
      image_generation: this.meta.image,
    };
  }

  async health(): Promise<Health> {
    try {
      await this.redis.ping();
      return { status: 'ok', redis: 'ok', workers: await countLiveWorkers(this.redis) };
    } catch {
      return { status: 'degraded', redis: 'down', workers: 0 };
    }
  }
}
