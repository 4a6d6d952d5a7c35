/** The app router. Inputs are built from the active manifests, so validation follows the backend. */
import type { ActiveManifests } from '../active-manifests.js';
import { buildInputs } from '../inputs.js';
import { router } from '../trpc.js';
import { charactersRouter } from './characters.router.js';
import { generationRouter, trainingRouter } from './job-types.router.js';
import { jobsRouter } from './jobs.router.js';
import { lorasRouter } from './loras.router.js';
import { evaluationsRouter } from './evaluations.router.js';
import { systemRouter } from './system.router.js';

export function createAppRouter(manifests: ActiveManifests) {
  const inputs = buildInputs(manifests);
  return router({
    system: systemRouter,
    characters: charactersRouter(inputs),
    training: trainingRouter(inputs),
    generation: generationRouter(inputs),
    jobs: jobsRouter(inputs),
    loras: lorasRouter(inputs),
    evaluations: evaluationsRouter(inputs),
  });
}

export type AppRouter = ReturnType<typeof createAppRouter>;
