/**
 * One generation job on ComfyUI: pick the variant, inject each image's parameters, run the prompts
 * and turn every result into a job output. Image i uses seed+i, so any single image can be
 * reproduced alone.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { comfyuiImage } from '../../../../shared/manifests.js';
import { inapplicable, inapplicableMessage } from '../../../../shared/param-applies.js';
import { JobCancelledError, NonRetryableError, type GenerationInput, type JobContext } from '../../types.js';
import type { ComfyUIClient } from './comfyui-client.js';
import { linkLora } from './lora-link.js';
import { injectWorkflow } from './workflow-inject.js';
import { selectWorkflow } from './workflow-select.js';
import { parseWorkflowName, type WorkflowName } from './workflow-types.js';
import type { WorkflowSet } from './workflow-store.js';
import { DEFAULTS } from './workflow-build.js';

export interface GenerateDeps {
  client: ComfyUIClient;
  workflows: WorkflowSet;
  comfyuiDir: string;
  timeoutMs: number;
}

const P = comfyuiImage.parameters;
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The LoRA only fires on its trigger word; add it when the user's prompt lacks it. */
export function promptWithTrigger(prompt: string, trigger?: string): string {
  if (!trigger || new RegExp(`\\b${trigger.replace(/[^A-Za-z0-9_]/g, '')}\\b`, 'i').test(prompt)) return prompt;
  return `${trigger}, ${prompt}`;
}

export async function generateOnComfyUI(deps: GenerateDeps, input: GenerationInput, ctx: JobContext): Promise<void> {
  const cfg = input.config;
  const name: WorkflowName = selectWorkflow({
    model_variant: cfg.model_variant,
    use_upscale: cfg.use_upscale === true,
    hasLora: Boolean(input.lora),
  });
  const shape = parseWorkflowName(name)!;
  const template = deps.workflows.get(name);
  if (!template) throw new Error(`Workflow ${name} is not loaded`);
  // One rule with the API: a guidance value for schnell (whose graphs have no FluxGuidance) would
  // be dropped, so it fails the job instead; a request through the API never carries one.
  const noGuidance = inapplicable(P.guidance_scale, cfg);
  if (noGuidance && cfg.guidance_scale !== undefined) throw new NonRetryableError(inapplicableMessage('guidance_scale', noGuidance));
  const width = num(cfg.width, P.width.default);
  const height = num(cfg.height, P.height.default);
  const steps = num(cfg.steps, DEFAULTS[shape.variant].steps);
  const count = Math.max(1, Math.floor(input.count || 1));
  const samplerId = Object.entries(template).find(([, n]) => n.class_type === 'SamplerCustomAdvanced')?.[0];

  let lora: { name: string; strength: number } | undefined;
  if (input.lora) {
    const linked = await linkLora(input.lora, deps.comfyuiDir);
    lora = { name: linked.name, strength: num(cfg.lora_strength, P.lora_strength.default) };
    ctx.logger.info(`LoRA ${input.lora.id} available to ComfyUI as ${linked.name}`, 'comfyui.lora_linked', { method: linked.method });
  }
  if (ctx.signal.aborted) throw new JobCancelledError();

  if (!Number.isSafeInteger(cfg.seed) || cfg.seed < 0) throw new NonRetryableError(`Invalid seed ${String(cfg.seed)}`);
  const seeds = Array.from({ length: count }, (_, i) => BigInt(cfg.seed) + BigInt(i));
  const prompt = promptWithTrigger(cfg.prompt, input.lora?.trigger_word);
  const graphs = seeds.map((seed) =>
    injectWorkflow(template, name, {
      prompt,
      width,
      height,
      seed: seed <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seed) : seed,
      steps,
      guidance_scale: noGuidance ? undefined : num(cfg.guidance_scale, P.guidance_scale.default),
      lora,
      filenamePrefix: ctx.jobId,
    }),
  );
  await fs.mkdir(ctx.outputsDir, { recursive: true });

  const milestones = new Map<number, number>();
  await deps.client.run(graphs, {
    signal: ctx.signal,
    timeoutMs: deps.timeoutMs,
    onQueued: (i, promptId) =>
      ctx.logger.info(`Queued image ${i + 1}/${count} on ComfyUI`, 'comfyui.prompt_queued', {
        prompt_id: promptId,
        workflow: name,
        seed: seeds[i]!.toString(),
        width,
        height,
        steps,
      }),
    onProgress: (i, p) => {
      // Only the sampler's bar counts; the upscaler reports its own tiles through the same event.
      if ((samplerId && p.node && p.node !== samplerId) || !(p.max > 0)) return;
      const value = Math.min(p.value, p.max);
      ctx.progress({
        progress: (i + value / p.max) / count,
        current_step: i * p.max + value,
        total_steps: count * p.max,
        message: `image ${i + 1}/${count}`,
      });
      const quarter = Math.floor((value / p.max) * 4);
      if (quarter > (milestones.get(i) ?? 0)) {
        milestones.set(i, quarter);
        ctx.logger.info(`Image ${i + 1}/${count}: step ${value}/${p.max}`, 'comfyui.progress', { image: i + 1, step: value, steps: p.max });
      }
    },
    onResult: async (i, images) => {
      const image = images[0]!;
      const file = `${ctx.jobId}_${i}.png`;
      const tmp = path.join(ctx.outputsDir, `.${file}.tmp`);
      // Rename so the files route never serves a half-written image.
      await fs.writeFile(tmp, image.data);
      await fs.rename(tmp, path.join(ctx.outputsDir, file));
      const meta = await sharp(image.data).metadata();
      const seed = seeds[i]!;
      await ctx.addOutput({ name: file, kind: 'image', width: meta.width, height: meta.height, seed: Number(seed) });
      ctx.logger.info(`Saved image ${i + 1}/${count} as ${file}`, 'comfyui.image_saved', {
        name: file,
        width: meta.width,
        height: meta.height,
        seed: seed.toString(),
        comfyui_file: image.filename,
      });
      ctx.progress({ progress: (i + 1) / count, message: `image ${i + 1}/${count} saved` });
      if (shape.upscale) {
        const fields = { model: DEFAULTS.upscale_model, from: `${width}x${height}`, to: `${meta.width}x${meta.height}` };
        if (meta.width === width * 2 && meta.height === height * 2) {
          ctx.logger.info(`Upscaled image ${i + 1}/${count} 2x with ${DEFAULTS.upscale_model}`, 'upscale.applied', fields);
        } else {
          ctx.logger.warning(`Upscale did not give 2x for image ${i + 1}/${count}`, 'upscale.unexpected_size', fields);
        }
      }
    },
  });
}
