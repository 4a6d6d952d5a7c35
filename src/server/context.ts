import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { getCorrelationId, newCorrelationId } from '../shared/node/correlation.js';
import type { Services } from './services/index.js';
import { clientKey } from './http/client-key.js';

export interface Context {
  correlationId: string;
  /** Who is calling, for rate limits: the remote address (or the forwarded one behind a proxy). */
  clientId: string;
  services: Services;
}

export function createContextFactory(services: Services) {
  return ({ req }: CreateHTTPContextOptions): Context => ({
    correlationId: getCorrelationId() ?? newCorrelationId(),
    clientId: clientKey(req),
    services,
  });
}
