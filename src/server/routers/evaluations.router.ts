/** evaluations.*: checkpoint × strength × prompt grids of a training (issue #17). */
import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const evaluationsRouter = (inputs: Inputs) =>
  router({
    start: publicProcedure.input(inputs.evaluationStart).mutation(({ ctx, input }) => ctx.services.evaluations.start(input)),
    get: publicProcedure.input(inputs.jobId).query(({ ctx, input }) => ctx.services.evaluations.get(input.id)),
    list: publicProcedure.input(inputs.evaluationList).query(({ ctx, input }) => ctx.services.evaluations.list(input.training_id)),
    use: publicProcedure.input(inputs.evaluationUse).mutation(({ ctx, input }) => ctx.services.evaluations.use(input)),
    cancel: publicProcedure.input(inputs.jobId).mutation(({ ctx, input }) => ctx.services.jobs.cancel(input.id, 'evaluation')),
  });
