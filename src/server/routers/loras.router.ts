import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const lorasRouter = (inputs: Inputs) =>
  router({
    list: publicProcedure.input(inputs.loraList).query(({ ctx, input }) => ctx.services.loras.list(input?.character_id)),
    get: publicProcedure.input(inputs.loraId).query(({ ctx, input }) => ctx.services.loras.get(input.id)),
    fromCheckpoint: publicProcedure.input(inputs.checkpointRef).mutation(({ ctx, input }) => ctx.services.loras.fromCheckpoint(input)),
    delete: publicProcedure.input(inputs.loraId).mutation(({ ctx, input }) => ctx.services.loras.delete(input.id)),
  });
