import { publicProcedure, router } from '../trpc.js';

export const systemRouter = router({
  info: publicProcedure.query(({ ctx }) => ctx.services.system.info()),
  health: publicProcedure.query(({ ctx }) => ctx.services.system.health()),
  /** The pod's readiness doctor (GPUs, ComfyUI and its model files, ai-toolkit, HF token, volume, Redis). */
  readiness: publicProcedure.query(({ ctx }) => ctx.services.system.readiness()),
});
