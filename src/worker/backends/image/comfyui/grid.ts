/**
 * An evaluation grid batch on ComfyUI: one `-lora` graph per cell, each loading its own LoRA file
 * (a checkpoint or the final LoRA, linked into models/loras) at its own strength, and all of them
 * queued at once through the same client as multi-image generations, so the GPU goes straight from
 * one cell to the next. Each image becomes a job output the moment it is saved.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { comfyuiImage } from '../../../../shared/manifests.js';
import { NonRetryableError, type GridInput, type JobContext } from '../../types.js';
import type { GenerateDeps } from './generate.js';
import { linkLora } from './lora-link.js';
import { injectWorkflow } from './workflow-inject.js';
import { selectWorkflow } from './workflow-select.js';

export async function renderGridOnComfyUI(deps: GenerateDeps, input: GridInput, ctx: JobContext): Promise<void> {
  const cfg = input.config;
  const name = selectWorkflow({ model_variant: cfg.model_variant, use_upscale: false, hasLora: true });
  const template = deps.workflows.get(name);
  if (!template) throw new Error(`Workflow ${name} is not loaded`);
  const dev = cfg.model_variant !== 'flux-schnell';
  const n = input.images.length;
  if (n === 0) return;

  // Every distinct LoRA file once; ComfyUI only loads files under its own models/loras.
  const linked = new Map<string, string>();
  for (const img of input.images) {
    if (linked.has(img.lora.id)) continue;
    const link = await linkLora(img.lora, deps.comfyuiDir);
    linked.set(img.lora.id, link.name);
    ctx.logger.info(`LoRA file ${path.basename(img.lora.path)} available to ComfyUI as ${link.name}`, 'comfyui.lora_linked', { lora: img.lora.id, method: link.method });
  }
  const graphs = input.images.map((img) => {
    if (!Number.isSafeInteger(img.seed) || img.seed < 0) throw new NonRetryableError(`Invalid seed ${String(img.seed)}`);
    return injectWorkflow(template, name, {
      prompt: img.prompt,
      width: cfg.width,
      height: cfg.height,
      seed: img.seed,
      steps: cfg.steps,
      guidance_scale: dev ? (cfg.guidance_scale ?? comfyuiImage.parameters.guidance_scale.default) : undefined,
      lora: { name: linked.get(img.lora.id)!, strength: img.strength },
      filenamePrefix: ctx.jobId,
    });
  });
  await fs.mkdir(ctx.outputsDir, { recursive: true });
  const samplerId = Object.entries(template).find(([, node]) => node.class_type === 'SamplerCustomAdvanced')?.[0];

  await deps.client.run(graphs, {
    signal: ctx.signal,
    timeoutMs: deps.timeoutMs,
    onQueued: (i, promptId) => {
      const img = input.images[i]!;
      ctx.logger.info(`Queued grid image ${i + 1}/${n} on ComfyUI`, 'comfyui.prompt_queued', {
        prompt_id: promptId,
        workflow: name,
        seed: img.seed,
        lora_name: linked.get(img.lora.id),
        strength: img.strength,
        name: img.name,
      });
    },
    onProgress: (i, p) => {
      if ((samplerId && p.node && p.node !== samplerId) || !(p.max > 0)) return;
      const value = Math.min(p.value, p.max);
      ctx.progress({ progress: (i + value / p.max) / n, current_step: value, total_steps: p.max, message: `grid image ${i + 1}/${n}` });
    },
    onResult: async (i, images) => {
      const img = input.images[i]!;
      const data = images[0]!.data;
      const tmp = path.join(ctx.outputsDir, `.${img.name}.tmp`);
      // Rename so the files route never serves a half-written image.
      await fs.writeFile(tmp, data);
      await fs.rename(tmp, path.join(ctx.outputsDir, img.name));
      const meta = await sharp(data).metadata();
      await ctx.addOutput({ name: img.name, kind: 'image', width: meta.width, height: meta.height, seed: img.seed, step: img.step });
      ctx.logger.info(`Saved grid image ${i + 1}/${n} as ${img.name}`, 'comfyui.image_saved', { name: img.name, seed: img.seed, strength: img.strength });
      await input.onImage?.(i);
    },
  });
}
