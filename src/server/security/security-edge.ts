/**
 * The security steps of the HTTP pipeline in one place, so the request handler only needs a few
 * hook lines: Host check, response headers, who the client is, authentication with its own
 * failure budget, the cross-site check, and the session routes (open, probe, close).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.js';
import type { Config } from '../../shared/node/config.js';
import type { RateLimiter } from '../services/rate-limiter.service.js';
import { bearerToken, clearedSessionCookie, cookieValue, SESSION_COOKIE, sessionCookie, tokenMatches } from './credentials.js';
import { setNoStore, setSecurityHeaders } from './headers.js';
import { createHostCheck } from './host-check.js';
import { createOriginCheck, type AuthKind } from './origin-check.js';
import type { SessionStore } from './session-store.js';
import { createClientAddress, createForwardedHttps } from './trust-proxy.js';

export const UNAUTHORIZED_MESSAGE = 'Missing or invalid API token';

export interface SecurityEdge {
  clientAddress: (req: IncomingMessage) => string;
  /** Host check and headers: first thing for every request. */
  screen(req: IncomingMessage, res: ServerResponse, pathname: string): void;
  /** GET/POST/DELETE /api/session; null when the request is not one of them. */
  sessionRoute(req: IncomingMessage, method: string): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> | null;
  /** Every other /api route: credentials (failures counted per client), then the cross-site check. */
  admit(req: IncomingMessage, res: ServerResponse): Promise<AuthKind>;
  /** After an error answered before the body was read: close the connection instead of draining it. */
  abandonBody(req: IncomingMessage, res: ServerResponse): void;
}

export function createSecurityEdge(opts: {
  config: Config;
  rateLimiter: RateLimiter;
  sessions: SessionStore | null;
  readJson: (req: IncomingMessage) => Promise<unknown>;
  logger: Logger;
}): SecurityEdge {
  const { config, rateLimiter, sessions } = opts;
  const token = config.ISENGARD_API_TOKEN;
  const clientAddress = createClientAddress(config.TRUST_PROXY);
  const https = createForwardedHttps(config.TRUST_PROXY);
  const hostCheck = createHostCheck({ host: config.HOST, allowedHosts: config.ISENGARD_ALLOWED_HOSTS });
  const originCheck = createOriginCheck({ allowedHosts: config.ISENGARD_ALLOWED_HOSTS });
  const log = opts.logger.child({ component: 'security' });

  async function failed(req: IncomingMessage, message: string): Promise<never> {
    const client = clientAddress(req);
    await rateLimiter.hit(client, 'auth-failures'); // throws 429 once past the limit
    log.info({ client }, 'authentication failed');
    throw new AppError('UNAUTHORIZED', message);
  }

  async function authenticate(req: IncomingMessage): Promise<AuthKind> {
    if (!token) return 'open';
    const bearer = bearerToken(req);
    if (bearer !== undefined) {
      // Past the failure limit a token is not even judged: guessing stops there.
      await rateLimiter.check(clientAddress(req), 'auth-failures');
      if (tokenMatches(token, bearer)) return 'bearer';
      return failed(req, UNAUTHORIZED_MESSAGE);
    }
    // An open session keeps working while someone else at the same address is locked out.
    const sessionId = cookieValue(req, SESSION_COOKIE);
    if (sessionId !== undefined && sessions && (await sessions.touch(sessionId))) return 'session';
    return failed(req, UNAUTHORIZED_MESSAGE);
  }

  async function login(req: IncomingMessage) {
    if (!token || !sessions) return { status: 200, body: { ok: true, auth: false } };
    await rateLimiter.check(clientAddress(req), 'auth-failures');
    const body = (await opts.readJson(req)) as { token?: unknown } | null;
    if (typeof body?.token !== 'string' || !tokenMatches(token, body.token)) return failed(req, 'Invalid token');
    const previous = cookieValue(req, SESSION_COOKIE);
    if (previous !== undefined) await sessions.destroy(previous);
    const id = await sessions.create();
    return { status: 200, body: { ok: true, auth: true }, headers: { 'Set-Cookie': sessionCookie(id, https(req)) } };
  }

  async function logout(req: IncomingMessage) {
    const id = cookieValue(req, SESSION_COOKIE);
    if (id !== undefined && sessions) await sessions.destroy(id);
    return { status: 200, body: { ok: true }, headers: { 'Set-Cookie': clearedSessionCookie(https(req)) } };
  }

  /** Whether this browser holds an open session; only the cookie is judged, never a token. */
  async function probe(req: IncomingMessage) {
    if (!token) return { status: 200, body: { auth: false, authenticated: true } };
    const id = cookieValue(req, SESSION_COOKIE);
    const open = id !== undefined && sessions !== null && (await sessions.touch(id));
    return { status: 200, body: { auth: true, authenticated: open } };
  }

  return {
    clientAddress,
    screen(req, res, pathname) {
      setSecurityHeaders(res);
      if (token && pathname.startsWith('/api/')) setNoStore(res);
      // Load balancers probe health under whatever name they like; it reveals nothing.
      if (pathname !== '/api/health') hostCheck.check(req);
    },
    sessionRoute(req, method) {
      if (method === 'GET') return probe(req);
      if (method === 'POST') {
        originCheck(req, 'open');
        return login(req);
      }
      if (method === 'DELETE') {
        originCheck(req, 'session');
        return logout(req);
      }
      return null;
    },
    async admit(req) {
      const auth = await authenticate(req);
      originCheck(req, auth);
      return auth;
    },
    abandonBody(req, res) {
      if (req.complete || res.headersSent) return;
      const declared = req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0';
      if (!declared && req.headers['transfer-encoding'] === undefined) return;
      // Node would otherwise read (and drop) the whole body to keep the connection alive.
      res.setHeader('Connection', 'close');
      res.once('finish', () => req.socket.destroySoon?.() ?? req.socket.end());
    },
  };
}
