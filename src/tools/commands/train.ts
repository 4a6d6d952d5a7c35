/**
 * `isengard train <character_id>`: preset + --param, checked locally, then followed to the end.
 * `train resume <job>` and `train continue <job> --steps N` start a new job from an earlier one.
 */
import { intFlag } from '../args.js';
import { UsageError } from '../cli-errors.js';
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
    '--sample-prompt (up to 4) sets the prompts sampled every sample_every steps.',
    'Exit 0 when the job completed, 1 when it failed or was cancelled.',
  ],
  options: ['preset', 'param', 'sample-prompt', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const info = await ctx.client.system.info.query();
    const { config, notes } = trainingConfig(info, ctx.flags.param, ctx.flags.preset);
    for (const note of notes) ctx.out.note(note);
    const prompts = ctx.flags['sample-prompt'];
    const job = await ctx.client.training.start.mutate({ character_id: ctx.args[0]!, config, ...(prompts ? { sample_prompts: prompts } : {}) });
    return finishStartedJob(ctx, job);
  },
};

const resume: Command = {
  path: 'train resume',
  synopsis: '<job_id>',
  summary: 'Resume a failed or cancelled training from its newest checkpoint',
  details: ['Starts a new job at the checkpoint’s step and follows it to the end.'],
  options: ['no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const job = await ctx.client.training.resume.mutate({ id: ctx.args[0]! });
    ctx.out.note(`${job.id} resumes ${job.resumed_from ?? ctx.args[0]!} at step ${job.resume_step ?? '?'}`);
    return finishStartedJob(ctx, job);
  },
};

const continueTraining: Command = {
  path: 'train continue',
  synopsis: '<job_id> --steps N',
  summary: 'Train a completed training N more steps from its LoRA (a new LoRA)',
  options: ['steps', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    if (ctx.flags.steps === undefined) throw new UsageError("Option '--steps' is required: how many more steps to train");
    const job = await ctx.client.training.continue.mutate({ id: ctx.args[0]!, steps: intFlag(ctx.flags.steps) as number });
    ctx.out.note(`${job.id} continues ${job.continued_from ?? ctx.args[0]!} from LoRA ${job.base_lora_id ?? '?'}`);
    return finishStartedJob(ctx, job);
  },
};

export const trainCommands = [trainCommand, resume, continueTraining];
