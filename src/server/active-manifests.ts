/** The manifests of the backends this deployment runs (docs/contracts.md, Configuration). */
import { imageManifests, trainingManifests } from '../shared/manifests.js';
import type { Config } from '../shared/node/config.js';

export function activeManifests(config: Pick<Config, 'TRAINING_BACKEND' | 'IMAGE_BACKEND'>) {
  return { training: trainingManifests[config.TRAINING_BACKEND], image: imageManifests[config.IMAGE_BACKEND] };
}
export type ActiveManifests = ReturnType<typeof activeManifests>;
