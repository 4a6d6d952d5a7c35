/** Backend registry: a new backend is one folder plus one line here. */
import type { Config } from '../../shared/node/config.js';
import type {
  CaptionBackend,
  CaptionBackendFactory,
  ImageBackend,
  ImageBackendFactory,
  TrainingBackend,
  TrainingBackendFactory,
} from './types.js';
import { createMockTrainingBackend } from './training/mock/index.js';
import { createAiToolkitBackend } from './training/ai-toolkit/index.js';
import { createMockImageBackend } from './image/mock/index.js';
import { createComfyuiBackend } from './image/comfyui/index.js';
import { createMockCaptionBackend } from './caption/mock/index.js';
import { createFlorence2Backend } from './caption/florence2/index.js';

export const trainingBackends: Record<Config['TRAINING_BACKEND'], TrainingBackendFactory> = {
  mock: createMockTrainingBackend,
  'ai-toolkit': createAiToolkitBackend,
};

export const imageBackends: Record<Config['IMAGE_BACKEND'], ImageBackendFactory> = {
  mock: createMockImageBackend,
  comfyui: createComfyuiBackend,
};

export const captionBackends: Record<Config['CAPTION_BACKEND'], CaptionBackendFactory> = {
  mock: createMockCaptionBackend,
  florence2: createFlorence2Backend,
};

export function createBackends(config: Config): { training: TrainingBackend; image: ImageBackend; caption: CaptionBackend } {
  return {
    training: trainingBackends[config.TRAINING_BACKEND](config),
    image: imageBackends[config.IMAGE_BACKEND](config),
    caption: captionBackends[config.CAPTION_BACKEND](config),
  };
}
