import { publicProcedure, router } from '../trpc.js';

export const systemRouter = router({
  info: publicProcedure.query(({ ctx }) => ctx.services.system.info()),
  health: publicProcedure.query(({ ctx }) => ctx.services.system.health()),
});
