/** `isengard generate "<prompt>"`: image config from flags, checked locally, then followed. */
import { intFlag } from '../args.js';
import { imageConfig } from '../params.js';
import type { Command } from './command.js';
import { finishStartedJob } from './job-view.js';

export const generateCommand: Command = {
  path: 'generate',
  synopsis: '"<prompt>"',
  summary: 'Generate images and follow the job to the end',
  details: [
    'Parameters (see `isengard info`): width, height, steps, guidance_scale, lora_strength,',
    'model_variant, seed and the toggles, e.g. --param steps=8 --param model_variant=flux-schnell.',
    'Exit 0 when the job completed, 1 when it failed or was cancelled.',
  ],
  options: ['lora', 'upscale', 'count', 'param', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const info = await ctx.client.system.info.query();
    const toggles: Record<string, boolean> = ctx.flags.upscale ? { use_upscale: true } : {};
    const { config, notes } = imageConfig(info, ctx.args[0]!, ctx.flags.param, toggles);
    for (const note of notes) ctx.out.note(note);
    const count = intFlag(ctx.flags.count);
    // The server owns count/lora_id checks (its sentences); strings pass through for that reason.
    const job = await ctx.client.generation.start.mutate({
      config: config as { prompt: string },
      ...(ctx.flags.lora !== undefined ? { lora_id: ctx.flags.lora } : {}),
      ...(count !== undefined ? { count: count as number } : {}),
    });
    return finishStartedJob(ctx, job);
  },
};
