import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const jobsRouter = (inputs: Inputs) =>
  router({
    get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.jobs.get(input.id)),
    list: publicProcedure
      .input(inputs.jobList)
      .query(({ ctx, input }) => ctx.services.jobs.list({ ...input, characterId: input.character_id })),
    cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id)),
    /** Current record, then every change; ends after a terminal status. SSE. */
    onUpdate: publicProcedure
      .input(inputs.watchJob)
      .subscription(({ ctx, input, signal }) => ctx.services.jobs.watch(input.jobId, signal)),
  });
