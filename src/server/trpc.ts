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

/** Per procedure: `rateLimit: 'job-create'` counts a mutation in the job record's create (see `guarded`). */
export interface ProcedureMeta {
  rateLimit?: 'job-create';
}

const t = initTRPC.context<Context>().meta<ProcedureMeta>().create({
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
 * A procedure marked `rateLimit: 'job-create'` gets the count as `ctx.charge` instead, for the job
 * store to make in the same script as the record (one Redis round trip per enqueue, nothing
 * written past the limit); if it never got that far (bad input, an unknown LoRA) the count is
 * made here afterwards, and a 429 then replaces its answer, as if counted first.
 */
const guarded = t.middleware(async ({ ctx, type, meta, next }) => {
  const limiter = ctx.services.rateLimiter;
  const count = () => limiter.hit(ctx.clientId, 'changes').catch((err: unknown) => Promise.reject(toTRPCError(err)));
  const charge = type === 'mutation' && meta?.rateLimit === 'job-create' ? limiter.charge(ctx.clientId, 'changes') : undefined;
  if (type === 'mutation' && !charge) await count();
  const result = await next({ ctx: { charge } });
  if (charge && !charge.spent) await count();
  if (!result.ok) throw toTRPCError(result.error);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(guarded);
