import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const trainingRouter = (inputs: Inputs) =>
  router({
    start: publicProcedure.input(inputs.trainingStart).mutation(({ ctx, input }) => ctx.services.training.start(input)),
    list: publicProcedure
      .input(inputs.typedJobList)
      .query(({ ctx, input }) => ctx.services.jobs.list({ ...input, characterId: input.character_id, type: 'training' })),
    get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.jobs.get(input.id, 'training')),
    cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id, 'training')),
  });
