/** tRPC instance: one error formatter, one middleware for rate limits on mutations and error mapping. */
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

/**
 * One middleware for both (each level of tRPC's middleware chain copies the call's options):
 * mutations count against the caller's rate limit first, then every failure is mapped once.
 */
const guarded = t.middleware(async ({ ctx, type, next }) => {
  if (type === 'mutation') {
    try {
      await ctx.services.rateLimiter.hit(ctx.clientId, 'changes');
    } catch (err) {
      throw toTRPCError(err);
    }
  }
  const result = await next();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(guarded);
