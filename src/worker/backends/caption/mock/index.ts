/**
 * Mock caption backend (fast-test): the same parameters as Florence-2, real text from each image's
 * size, orientation and dominant colour. One MOCK_STEP_MS pause per image keeps progress and cancel
 * observable like a model's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mockCaption } from '../../../../shared/manifests.js';
import type { Config } from '../../../../shared/node/config.js';
import type { CaptionBackend, CaptionInput, CaptionSink, JobContext } from '../../types.js';
import { describeImage, imageFacts } from './describe.js';

/** Bumped when describeImage's wording changes: captions record which text generator wrote them. */
export const MOCK_CAPTIONER_VERSION = '1';

export function createMockCaptionBackend(config: Config): CaptionBackend {
  const source = { model: mockCaption.model, version: MOCK_CAPTIONER_VERSION };
  return {
    name: 'mock',
    capabilities: mockCaption,
    async caption(input: CaptionInput, sink: CaptionSink, ctx: JobContext): Promise<void> {
      for (const image of input.images) {
        await sleep(config.MOCK_STEP_MS, undefined, { signal: ctx.signal });
        let text: string;
        try {
          text = describeImage(await imageFacts(image.path), input.style);
        } catch (err) {
          await sink.failed(image.name, `could not read the image (${(err as Error).message})`);
          continue;
        }
        await sink.caption(image.name, text, source);
      }
    },
  };
}
