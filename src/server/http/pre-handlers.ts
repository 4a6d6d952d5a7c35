/**
 * Checks that run, in order, before any handler (SPA files, tRPC, plain routes). Each one may set
 * headers or refuse the request by throwing an AppError; the one error mapping writes the answer.
 * Add a request-wide check here (one line in `createPreHandlers`), not inside a route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecurityEdge } from '../security/security-edge.js';

export interface PreHandlerRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** An /api path (tRPC or plain route), not the SPA. */
  isApi: boolean;
  /** Answered without credentials: the SPA's files, health, session. */
  isPublic: boolean;
}

export type PreHandler = (request: PreHandlerRequest) => void | Promise<void>;

export function createPreHandlers(security: SecurityEdge): PreHandler[] {
  return [
    // Host check and security headers: first thing for every request.
    ({ req, res, url }) => security.screen(req, res, url.pathname),
    // Credentials (failures counted per client), then the cross-site check.
    async ({ req, res, isApi, isPublic }) => {
      if (isApi && !isPublic) await security.admit(req, res);
    },
  ];
}
