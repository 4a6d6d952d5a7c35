/**
 * Mock trainer (fast-test): a real step loop (MOCK_STEP_MS per step) that honours the
 * AbortSignal, reports a decreasing noisy loss and an ETA, writes valid .safetensors checkpoints
 * (keeping the last `keep_checkpoints`) and one sharp-made sample per prompt every
 * `sample_every` steps, and a final LoRA file named like ai-toolkit's. Like ai-toolkit it
 * starts at a resumed checkpoint's step, and from given weights at step 0.
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
import { CheckpointRetention } from '../checkpoint-retention.js';
import { SAMPLE_SEED } from '../../../../shared/sample-prompts.js';
import { writeSafetensors } from './safetensors.js';

const pad = (step: number) => String(step).padStart(9, '0');
const num = (value: unknown, fallback: number) => (typeof value === 'number' ? value : fallback);

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
      const sampleEvery = num(input.config.sample_every, mockTraining.parameters.sample_every.default);
      const keep = num(input.config.keep_checkpoints, mockTraining.parameters.keep_checkpoints.default);
      const name = input.character.trigger_word;
      const prompts = input.samplePrompts ?? [];
      const outDir = path.join(input.workDir, name);
      await fs.mkdir(outDir, { recursive: true });
      await fs.mkdir(ctx.outputsDir, { recursive: true });
      const images = (await fs.readdir(input.datasetDir)).filter((f) => !f.endsWith('.txt')).length;
      ctx.logger.info('Mock trainer config', 'trainer.config', { ...input.config, dataset_images: images, sample_prompts: prompts.length });
      const retention = new CheckpointRetention(ctx, keep, input.holdCheckpoints);
      const first = input.resumeFrom?.step ?? 0;
      if (input.resumeFrom) {
        const checkpoint = `checkpoint_${pad(first)}.safetensors`;
        await fs.copyFile(input.resumeFrom.path, path.join(ctx.outputsDir, checkpoint));
        await ctx.addOutput({ name: checkpoint, kind: 'checkpoint', step: first });
        await retention.recorded(checkpoint, first);
        ctx.logger.info(`Resuming from the checkpoint at step ${first}`, 'trainer.resume', { step: first });
      } else if (input.initialWeights) {
        ctx.logger.info('Starting from existing LoRA weights', 'trainer.initial_weights', { path: input.initialWeights });
      }
      const saveEvery = Math.max(1, Math.round(steps / 4));
      const rand = seededRandom(steps * 7919 + rank + first);
      const started = Date.now();
      let loss = 0.6;
      ctx.progress({ progress: first / steps, current_step: first, total_steps: steps });
      if (first === 0) await saveSamples(ctx, 0, prompts);
      for (let step = first + 1; step <= steps; step++) {
        await sleep(stepMs, undefined, { signal: ctx.signal });
        loss = 0.08 + 0.5 * Math.exp((-3 * step) / steps) + (rand() - 0.5) * 0.04;
        const elapsed = (Date.now() - started) / 1000;
        // Like tqdm with `initial`: the rate counts only the steps of this run.
        const rate = (step - first) / Math.max(elapsed, 1e-3);
        ctx.progress({
          progress: step / steps,
          current_step: step,
          total_steps: steps,
          loss: Number(loss.toFixed(4)),
          it_per_sec: Number(rate.toFixed(2)),
          eta_seconds: Math.round((steps - step) / rate),
        });
        if (step % saveEvery === 0 && step < steps) {
          const checkpoint = await saveCheckpoint(ctx, step, rank, name, rand);
          await retention.recorded(checkpoint, step);
        }
        if (step % sampleEvery === 0 && step < steps) await saveSamples(ctx, step, prompts);
      }
      await saveSamples(ctx, steps, prompts);
      const loraPath = path.join(outDir, `${name}.safetensors`);
      await writeSafetensors(loraPath, loraTensors(rank), { name, steps: String(steps), rank: String(rank), trigger_word: name }, rand);
      ctx.logger.info(`Training finished at loss ${loss.toFixed(4)}`, 'trainer.output', { steps, loss });
      return { loraPath, steps };
    },
  };
}

async function saveCheckpoint(ctx: JobContext, step: number, rank: number, name: string, rand: () => number): Promise<string> {
  const checkpoint = `checkpoint_${pad(step)}.safetensors`;
  await writeSafetensors(
    path.join(ctx.outputsDir, checkpoint),
    loraTensors(rank),
    { name, training_info: JSON.stringify({ step }) },
    rand,
  );
  await ctx.addOutput({ name: checkpoint, kind: 'checkpoint', step });
  ctx.logger.info(`Saved checkpoint at step ${step}`, 'trainer.checkpoint', { step, name: checkpoint });
  return checkpoint;
}

/** One sample per prompt, seed walking per prompt like ai-toolkit's `walk_seed`. */
async function saveSamples(ctx: JobContext, step: number, prompts: readonly string[]): Promise<void> {
  for (const [i, prompt] of prompts.entries()) {
    const sample = `sample_${pad(step)}_${i}.jpg`;
    const png = await renderSeedImage(SAMPLE_SEED + i + step, 256, 256);
    await sharp(png).jpeg({ quality: 80 }).toFile(path.join(ctx.outputsDir, sample));
    await ctx.addOutput({ name: sample, kind: 'sample', step, width: 256, height: 256, seed: SAMPLE_SEED + i });
    ctx.logger.info(`Sample at step ${step}`, 'trainer.sample', { step, name: sample, prompt_index: i, prompt });
  }
}
