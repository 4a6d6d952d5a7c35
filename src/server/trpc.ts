/** tRPC instance: one error formatter, one error-mapping middleware, rate limits on mutations. */
import { initTRPC } from '@trpc/server';
import type { Context } from './context.js';
import { toAppError, toTRPCError, trpcCodeOf } from './error-mapping.js';
import { HTTP_STATUS } from '../shared/errors.js';

/** SSE subscriptions: also what http/job-updates.route.ts speaks for jobs.onUpdate. */
export const SSE_OPTIONS = {
  ping: { enabled: true, intervalMs: 10_000 },
  client: { reconnectAfterInactivityMs: 25_000 },
};

const t = initTRPC.context<Context>().create({
  isDev: false,
  errorFormatter({ shape, error }) {
    // Codes come from the mapped error too, so errors raised mid-stream (subscriptions) read right.
    const app = toAppError(error);
    return {
      ...shape,
      message: app.message,
      data: { code: trpcCodeOf(app), httpStatus: HTTP_STATUS[app.code], path: shape.data.path, issues: app.issues },
    };
  },
  sse: SSE_OPTIONS,
});

const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

const rateLimited = t.middleware(async ({ ctx, type, next }) => {
  if (type === 'mutation') await ctx.services.rateLimiter.hit(ctx.clientId, 'changes');
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors).use(rateLimited);
