/** `isengard train <character_id>`: preset + --param, checked locally, then followed to the end. */
import { trainingConfig } from '../params.js';
import type { Command } from './command.js';
import { finishStartedJob } from './job-view.js';

export const trainCommand: Command = {
  path: 'train',
  synopsis: '<character_id>',
  summary: 'Train a LoRA of a character and follow it to the end',
  details: [
    'Parameters (see `isengard info`) are typed and checked against the server before sending,',
    'e.g. --preset quick --param steps=300 --param optimizer=prodigy.',
    'Exit 0 when the job completed, 1 when it failed or was cancelled.',
  ],
  options: ['preset', 'param', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const info = await ctx.client.system.info.query();
    const { config, notes } = trainingConfig(info, ctx.flags.param, ctx.flags.preset);
    for (const note of notes) ctx.out.note(note);
    const job = await ctx.client.training.start.mutate({ character_id: ctx.args[0]!, config });
    return finishStartedJob(ctx, job);
  },
};
