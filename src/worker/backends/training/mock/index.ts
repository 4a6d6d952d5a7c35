/**
 * Mock trainer (fast-test): a real step loop (MOCK_STEP_MS per step) that honours the
 * AbortSignal, reports a decreasing noisy loss and an ETA, writes valid .safetensors checkpoints
 * and sharp-made samples at save points, and a final LoRA file named like ai-toolkit's.
 */
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import sharp from 'sharp';
import { mockTraining } from '../../../../shared/manifests.js';
import type { Config } from '../../../../shared/node/config.js';
import { seededRandom } from '../../seeded-random.js';
import type { JobContext, TrainingBackend, TrainingInput, TrainingResult } from '../../types.js';
import { renderSeedImage } from '../../image/mock/render.js';
import { writeSafetensors } from './safetensors.js';

const pad = (step: number) => String(step).padStart(9, '0');

function loraTensors(rank: number): Record<string, { shape: [number, number] }> {
  return {
    'transformer.single_transformer_blocks.0.attn.to_q.lora_A.weight': { shape: [rank, 64] },
    'transformer.single_transformer_blocks.0.attn.to_q.lora_B.weight': { shape: [64, rank] },
  };
}

export function createMockTrainingBackend(config: Config): TrainingBackend {
  const stepMs = config.MOCK_STEP_MS;
  return {
    name: 'mock',
    capabilities: mockTraining,
    async train(input: TrainingInput, ctx: JobContext): Promise<TrainingResult> {
      const steps = Number(input.config.steps);
      const rank = Number(input.config.lora_rank);
      const name = input.character.trigger_word;
      const outDir = path.join(input.workDir, name);
      await fs.mkdir(outDir, { recursive: true });
      await fs.mkdir(ctx.outputsDir, { recursive: true });
      const images = (await fs.readdir(input.datasetDir)).filter((f) => !f.endsWith('.txt')).length;
      ctx.logger.info('Mock trainer config', 'trainer.config', { ...input.config, dataset_images: images });
      const saveEvery = Math.max(1, Math.round(steps / 4));
      const rand = seededRandom(steps * 7919 + rank);
      const started = Date.now();
      let loss = 0.6;
      for (let step = 1; step <= steps; step++) {
        await sleep(stepMs, undefined, { signal: ctx.signal });
        loss = 0.08 + 0.5 * Math.exp((-3 * step) / steps) + (rand() - 0.5) * 0.04;
        const elapsed = (Date.now() - started) / 1000;
        const rate = step / Math.max(elapsed, 1e-3);
        ctx.progress({
          progress: step / steps,
          current_step: step,
          total_steps: steps,
          loss: Number(loss.toFixed(4)),
          it_per_sec: Number(rate.toFixed(2)),
          eta_seconds: Math.round((steps - step) / rate),
        });
        if (step % saveEvery === 0 && step < steps) await saveCheckpoint(ctx, step, rank, name, rand);
      }
      const loraPath = path.join(outDir, `${name}.safetensors`);
      await writeSafetensors(loraPath, loraTensors(rank), { name, steps: String(steps), rank: String(rank), trigger_word: name }, rand);
      ctx.logger.info(`Training finished at loss ${loss.toFixed(4)}`, 'trainer.output', { steps, loss });
      return { loraPath, steps };
    },
  };
}

async function saveCheckpoint(ctx: JobContext, step: number, rank: number, name: string, rand: () => number): Promise<void> {
  const checkpoint = `checkpoint_${pad(step)}.safetensors`;
  await writeSafetensors(path.join(ctx.outputsDir, checkpoint), loraTensors(rank), { name, step: String(step) }, rand);
  await ctx.addOutput({ name: checkpoint, kind: 'checkpoint', step });
  ctx.logger.info(`Saved checkpoint at step ${step}`, 'trainer.checkpoint', { step, name: checkpoint });
  const sample = `sample_${pad(step)}_0.jpg`;
  const png = await renderSeedImage(step, 256, 256);
  await sharp(png).jpeg({ quality: 80 }).toFile(path.join(ctx.outputsDir, sample));
  await ctx.addOutput({ name: sample, kind: 'sample', step, width: 256, height: 256 });
  ctx.logger.info(`Sample at step ${step}`, 'trainer.sample', { step, name: sample });
}
