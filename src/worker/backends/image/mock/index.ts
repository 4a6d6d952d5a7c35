/**
 * Mock image backend (fast-test): same capabilities as ComfyUI, real files. Each image walks
 * `steps` sampler steps (MOCK_STEP_MS each), renders from its seed with sharp and, with
 * use_upscale, is resized 2× with Lanczos like the RealESRGAN tail would.
 */
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { mockImage } from '../../../../shared/manifests.js';
import type { Config } from '../../../../shared/node/config.js';
import type { GenerationInput, GridInput, ImageBackend, JobContext } from '../../types.js';
import { renderSeedImage, upscale2x } from './render.js';
import { writeFileAtomic } from '../../../../shared/node/atomic-write.js';

export function createMockImageBackend(config: Config): ImageBackend {
  const stepMs = config.MOCK_STEP_MS;
  return {
    name: 'mock',
    capabilities: mockImage,
    async generate(input: GenerationInput, ctx: JobContext): Promise<void> {
      const { config: c, count } = input;
      const width = Number(c.width);
      const height = Number(c.height);
      const steps = Number(c.steps);
      const upscale = c.use_upscale === true;
      await fs.mkdir(ctx.outputsDir, { recursive: true });
      for (let i = 0; i < count; i++) {
        const seed = c.seed + i;
        ctx.logger.info(`Image ${i + 1}/${count} queued`, 'mock.prompt_queued', { index: i, seed, lora: input.lora?.id });
        for (let step = 1; step <= steps; step++) {
          await sleep(stepMs, undefined, { signal: ctx.signal });
          ctx.progress({
            progress: (i + step / steps) / count,
            current_step: step,
            total_steps: steps,
            message: `image ${i + 1}/${count}`,
          });
        }
        let png = await renderSeedImage(seed, width, height);
        let outW = width;
        let outH = height;
        if (upscale) {
          png = await upscale2x(png, width, height);
          outW = width * 2;
          outH = height * 2;
          ctx.logger.info('Upscaled 2x (lanczos3)', 'upscale.applied', { from: [width, height], to: [outW, outH] });
        }
        const name = `${ctx.jobId}_${i}.png`;
        // Atomic, so a full disk leaves no half image under an output name.
        await writeFileAtomic(path.join(ctx.outputsDir, name), png);
        await ctx.addOutput({ name, kind: 'image', width: outW, height: outH, seed });
        ctx.logger.info(`Image ${i + 1}/${count} saved`, 'mock.image_saved', { name, width: outW, height: outH, seed });
      }
    },

    async renderGrid(input: GridInput, ctx: JobContext): Promise<void> {
      const { width, height, steps } = input.config;
      const n = input.images.length;
      await fs.mkdir(ctx.outputsDir, { recursive: true });
      // What a ComfyUI graph would carry, logged per image so tests can check every cell's LoRA and strength.
      for (const [i, img] of input.images.entries()) {
        ctx.logger.info(`Grid image ${i + 1}/${n} queued`, 'mock.prompt_queued', {
          index: i,
          seed: img.seed,
          lora_file: path.basename(img.lora.path),
          lora: img.lora.id,
          strength: img.strength,
          name: img.name,
        });
      }
      for (const [i, img] of input.images.entries()) {
        for (let step = 1; step <= steps; step++) {
          await sleep(stepMs, undefined, { signal: ctx.signal });
          ctx.progress({ progress: (i + step / steps) / n, current_step: step, total_steps: steps, message: `grid image ${i + 1}/${n}` });
        }
        // Same seed, different LoRA or strength: a visibly different picture, like a real grid.
        const png = await renderSeedImage(mixSeed(img.seed, `${img.lora.id}@${img.strength}`), width, height);
        await writeFileAtomic(path.join(ctx.outputsDir, img.name), png);
        await ctx.addOutput({ name: img.name, kind: 'image', width, height, seed: img.seed, step: img.step });
        ctx.logger.info(`Grid image ${i + 1}/${n} saved`, 'mock.image_saved', { name: img.name, seed: img.seed, strength: img.strength });
        await input.onImage?.(i);
      }
    },
  };
}

function mixSeed(seed: number, salt: string): number {
  let h = seed >>> 0;
  for (const ch of salt) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}
