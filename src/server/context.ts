import type { IncomingMessage } from 'node:http';
import { getCorrelationId, newCorrelationId } from '../shared/node/correlation.js';
import type { Services } from './services/index.js';
import type { ClientAddress } from './security/trust-proxy.js';

export interface Context {
  correlationId: string;
  /** Who is calling, for rate limits: the peer address, or the forwarded one behind a trusted proxy (TRUST_PROXY). */
  clientId: string;
  services: Services;
}

export function createContextFactory(services: Services, clientAddress: ClientAddress) {
  // Needs only the request, so index.html's inlined data (http/page-boot-data.ts) gets the same context.
  return ({ req }: { req: IncomingMessage }): Context => ({
    correlationId: getCorrelationId() ?? newCorrelationId(),
    clientId: clientAddress(req),
    services,
  });
}
