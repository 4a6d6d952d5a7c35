/** training.* and generation.*: the same list/get/cancel over one job type, plus its own start. */
import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';
import type { JobType } from '../../shared/jobs.js';

export const jobTypeProcedures = (inputs: Inputs, type: JobType) => ({
  list: publicProcedure
    .input(inputs.typedJobList)
    .query(({ ctx, input }) => ctx.services.jobs.list({ ...input, characterId: input.character_id, type })),
  get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.jobs.get(input.id, type)),
  cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id, type)),
});

export const trainingRouter = (inputs: Inputs) =>
  router({
    start: publicProcedure.input(inputs.trainingStart).mutation(({ ctx, input }) => ctx.services.training.start(input)),
    resume: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.training.resume(input.id)),
    continue: publicProcedure.input(inputs.trainingContinue).mutation(({ ctx, input }) => ctx.services.training.continue(input)),
    deleteCheckpoint: publicProcedure.input(inputs.checkpointRef).mutation(({ ctx, input }) => ctx.services.training.deleteCheckpoint(input)),
    ...jobTypeProcedures(inputs, 'training'),
  });

export const generationRouter = (inputs: Inputs) =>
  router({
    start: publicProcedure
      .meta({ rateLimit: 'job-create' })
      .input(inputs.generationStart)
      .mutation(({ ctx, input }) => ctx.services.generation.start(input, ctx.charge)),
    ...jobTypeProcedures(inputs, 'generation'),
  });
