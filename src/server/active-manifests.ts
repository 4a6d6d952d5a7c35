/** The manifests of the backends this deployment runs (docs/contracts.md, Configuration). */
import { captionManifests, imageManifests, trainingManifests } from '../shared/manifests.js';
import type { Config } from '../shared/node/config.js';

export function activeManifests(config: Pick<Config, 'TRAINING_BACKEND' | 'IMAGE_BACKEND' | 'CAPTION_BACKEND'>) {
  return {
    training: trainingManifests[config.TRAINING_BACKEND],
    image: imageManifests[config.IMAGE_BACKEND],
    caption: captionManifests[config.CAPTION_BACKEND],
  };
}
export type ActiveManifests = ReturnType<typeof activeManifests>;
