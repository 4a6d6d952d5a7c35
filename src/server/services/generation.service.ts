import { randomInt } from 'node:crypto';
import type { JobRecord } from '../../shared/jobs.js';
import type { LoraStore } from '../../shared/node/lora-store.js';
import type { RateCharge } from '../../shared/node/rate-charge.js';
import type { JobsService } from './jobs.service.js';

export class GenerationService {
  constructor(private readonly deps: { jobs: JobsService; loras: LoraStore }) {}

  /**
   * Fills a random seed when none was given and stores it, so every image can be reproduced.
   * `charge`: the caller's rate-limit count, made by the record's create (nothing else is written first).
   */
  async start(input: { config: Record<string, unknown> & { seed?: number }; lora_id?: string; count: number }, charge?: RateCharge): Promise<JobRecord> {
    if (input.lora_id) await this.deps.loras.require(input.lora_id);
    const seed = input.config.seed ?? randomInt(0, 2 ** 32);
    return this.deps.jobs.create(
      {
        type: 'generation',
        config: { ...input.config, seed },
        lora_id: input.lora_id,
        count: input.count,
      },
      charge,
    );
  }
}
