/** /api/health, /api/session and /api/info: the plain routes that are not about one resource. */
import { AppError } from '../../shared/errors.js';
import type { Services } from '../services/index.js';
import { sessionCookie, tokenMatches } from './auth.js';
import { clientKey } from './client-key.js';
import { readJsonBody } from './read-json-body.js';
import { sendJson } from './respond.js';
import type { Route } from './route-table.js';

export const MAX_JSON_BODY = 1024 * 1024;

export function systemRoutes(services: Services): Route[] {
  const token = services.config.ISENGARD_API_TOKEN;
  return [
    {
      path: 'health',
      methods: ['GET'],
      public: true,
      async handle({ res }) {
        const health = await services.system.health();
        sendJson(res, health.redis === 'ok' ? 200 : 503, health);
      },
    },
    {
      path: 'session',
      methods: ['POST'],
      public: true,
      async handle({ req, res }) {
        // Token guesses count against the same per-client budget as mutations.
        await services.rateLimiter.hit(clientKey(req), 'session');
        const body = (await readJsonBody(req, MAX_JSON_BODY)) as { token?: unknown } | null;
        if (!token) return sendJson(res, 200, { ok: true, auth: false });
        if (typeof body?.token !== 'string' || !tokenMatches(token, body.token)) throw new AppError('UNAUTHORIZED', 'Invalid token');
        const secure = req.headers['x-forwarded-proto'] === 'https' || 'encrypted' in req.socket;
        sendJson(res, 200, { ok: true, auth: true }, { 'Set-Cookie': sessionCookie(body.token, secure) });
      },
    },
    { path: 'info', methods: ['GET'], handle: ({ res }) => sendJson(res, 200, services.system.info()) },
  ];
}
