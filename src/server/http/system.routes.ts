/** /api/health, /api/session and /api/info: the plain routes that are not about one resource. */
import type { SecurityEdge } from '../security/security-edge.js';
import type { Services } from '../services/index.js';
import { sendJson } from './respond.js';
import type { Route } from './route-table.js';

export const MAX_JSON_BODY = 1024 * 1024;

export function systemRoutes(services: Services, security: SecurityEdge): Route[] {
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
      methods: ['GET', 'POST', 'DELETE'],
      public: true,
      async handle({ req, res }) {
        const { status, body, headers } = await security.sessionRoute(req, req.method ?? 'GET')!;
        sendJson(res, status, body, headers);
      },
    },
    { path: 'info', methods: ['GET'], handle: ({ res }) => sendJson(res, 200, services.system.info()) },
  ];
}
