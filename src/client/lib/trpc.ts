/**
 * The typed tRPC client. Every request carries its own `web-…` correlation id so a job's log
 * lines can be traced back to the click that started it (docs/contracts.md).
 */
import { createTRPCReact, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from '@trpc/react-query';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '../../server/routers/index.js';
import { MAX_BATCH_ITEMS } from '../../shared/limits.js';

export const trpc = createTRPCReact<AppRouter>();

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const CORRELATION_HEADER = 'X-Correlation-ID';
/** Sent on every change: the server refuses cookie-authenticated changes without it (or a matching Origin). */
export const CLIENT_HEADER = 'X-Isengard-Client';
export const newCorrelationId = (): string => `web-${crypto.randomUUID()}`;

/** Slow on a pod (the readiness doctor spawns python): asked alone, so no batch waits for it. */
const UNBATCHED = new Set(['system.readiness']);

export function createTrpcClient(baseUrl = '') {
  const url = `${baseUrl}/api/trpc`;
  const headers = () => ({ [CORRELATION_HEADER]: newCorrelationId(), [CLIENT_HEADER]: 'web' });
  return trpc.createClient({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // EventSource cannot send headers; the server reads the id from connectionParams.
        true: httpSubscriptionLink({ url, connectionParams: () => ({ correlationId: newCorrelationId() }) }),
        false: splitLink({
          condition: (op) => UNBATCHED.has(op.path),
          true: httpLink({ url, headers }),
          false: httpBatchLink({ url, maxItems: MAX_BATCH_ITEMS, headers }),
        }),
      }),
    ],
  });
}

export type TrpcClient = ReturnType<typeof createTrpcClient>;
