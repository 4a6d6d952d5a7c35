import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const generationRouter = (inputs: Inputs) =>
  router({
    start: publicProcedure.input(inputs.generationStart).mutation(({ ctx, input }) => ctx.services.generation.start(input)),
    list: publicProcedure
      .input(inputs.typedJobList)
      .query(({ ctx, input }) => ctx.services.jobs.list({ ...input, characterId: input.character_id, type: 'generation' })),
    get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.jobs.get(input.id, 'generation')),
    cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id, 'generation')),
  });
