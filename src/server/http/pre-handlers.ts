/**
 * Checks that run, in order, before any handler (SPA files, tRPC, plain routes). Each one may set
 * headers or refuse the request by throwing an AppError; the one error mapping writes the answer.
 * Add a request-wide check here (one line in `createPreHandlers`), not inside a route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError } from '../../shared/errors.js';
import { requestToken, tokenMatches } from './auth.js';

export interface PreHandlerRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** An /api path (tRPC or plain route), not the SPA. */
  isApi: boolean;
  /** Answered without the API token: the SPA's files, health, session. */
  isPublic: boolean;
}

export type PreHandler = (request: PreHandlerRequest) => void | Promise<void>;

/** With ISENGARD_API_TOKEN set, every non-public /api request carries it (Bearer or session cookie). */
export function requireApiToken(token: string | undefined): PreHandler {
  return ({ req, isPublic }) => {
    if (!token || isPublic) return;
    if (!tokenMatches(token, requestToken(req))) throw new AppError('UNAUTHORIZED', 'Missing or invalid API token');
  };
}

export function createPreHandlers(opts: { token: string | undefined }): PreHandler[] {
  return [requireApiToken(opts.token)];
}
