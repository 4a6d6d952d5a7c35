/** Job types the worker runs: one line per type. */
import type { JobHandlerDeps, JobHandlers } from './types.js';
import { createGenerationHandler } from './generation/index.js';
import { createTrainingHandler } from './training/index.js';
import { createPurgeHandler } from './purge/index.js';
import { createEvaluationHandler } from './evaluation/index.js';
import { createCaptionHandler } from './caption/index.js';

export function createJobHandlers(deps: JobHandlerDeps): JobHandlers {
  return {
    training: createTrainingHandler(deps),
    generation: createGenerationHandler(deps),
    purge: createPurgeHandler(deps),
    evaluation: createEvaluationHandler(deps),
    caption: createCaptionHandler(deps),
  };
}
