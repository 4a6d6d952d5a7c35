/**
 * The one HTTP entry point: correlation context around the whole request, optional
 * auth, then tRPC, the plain routes, or the SPA.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import type { Logger } from 'pino';
import { acceptCorrelationId, CORRELATION_HEADER, runWithCorrelation } from '../../shared/node/correlation.js';
import type { Services } from '../services/index.js';
import type { AppRouter } from '../routers/index.js';
import { createContextFactory } from '../context.js';
import { toAppError } from '../error-mapping.js';
import { sendError, sendJson } from './respond.js';
import { logsRoute } from './logs.route.js';
import { characterImageRoute, jobFileRoute } from './files.route.js';
import { createStaticRoute } from './static.route.js';
import { readJsonBody } from './read-json-body.js';
import { uploadRoute } from './upload.route.js';
import { createSecurityEdge } from '../security/security-edge.js';
import { checkBatchSize } from '../security/batch-limit.js';
import { MAX_BATCH_ITEMS } from '../../shared/limits.js';

export const MAX_JSON_BODY = 1024 * 1024;

/** SSE subscriptions cannot send headers, so their correlation id rides in connectionParams. */
function correlationFrom(req: IncomingMessage, url: URL): string {
  const header = req.headers[CORRELATION_HEADER];
  if (header === undefined && url.pathname.startsWith('/api/trpc/')) {
    try {
      const params = JSON.parse(url.searchParams.get('connectionParams') ?? 'null') as Record<string, unknown> | null;
      if (params && typeof params.correlationId === 'string') return acceptCorrelationId(params.correlationId);
    } catch {
      /* fall through to a fresh id */
    }
  }
  return acceptCorrelationId(header);
}

export function isStreaming(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream') || /[?&]follow=(1|true)/.test(req.url ?? '');
}

export function createRequestHandler(opts: { services: Services; router: AppRouter; clientDir: string; logger: Logger }) {
  const { services, logger } = opts;
  const log = logger.child({ component: 'http' });
  const security = createSecurityEdge({
    config: services.config,
    rateLimiter: services.rateLimiter,
    sessions: services.sessions,
    readJson: (req) => readJsonBody(req, MAX_JSON_BODY),
    logger,
  });
  const trpc = createHTTPHandler({
    router: opts.router,
    basePath: '/api/trpc/',
    maxBodySize: MAX_JSON_BODY,
    maxBatchSize: MAX_BATCH_ITEMS,
    createContext: createContextFactory(services, security.clientAddress),
    responseMeta({ errors }) {
      const retryAfter = errors.map((e) => toAppError(e).retryAfter).find((r) => r !== undefined);
      return retryAfter ? { headers: { 'Retry-After': String(retryAfter) } } : {};
    },
    onError({ error, path }) {
      const app = toAppError(error);
      if (app.code === 'INTERNAL') log.error({ err: error.cause ?? error, path }, 'procedure failed');
    },
  });
  const staticRoute = createStaticRoute(opts.clientDir);

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    security.screen(req, res, p);
    if (!p.startsWith('/api/')) return staticRoute(req, res, p);
    if (p === '/api/health' && method === 'GET') {
      const health = await services.system.health();
      return sendJson(res, health.redis === 'ok' ? 200 : 503, health);
    }
    const session = p === '/api/session' ? security.sessionRoute(req, method) : null;
    if (session) {
      const { status, body, headers } = await session;
      return sendJson(res, status, body, headers);
    }
    await security.admit(req, res);
    if (p.startsWith('/api/trpc/')) {
      checkBatchSize(p, url);
      return trpc(req, res);
    }
    if (p === '/api/info' && method === 'GET') return sendJson(res, 200, services.system.info());
    let m = /^\/api\/jobs\/([^/]*)\/logs$/.exec(p);
    if (m && (method === 'GET' || method === 'HEAD')) return logsRoute(req, res, services, safeDecode(m[1]!), url);
    m = /^\/api\/jobs\/([^/]*)\/files\/([^/]*)$/.exec(p);
    if (m && (method === 'GET' || method === 'HEAD')) return jobFileRoute(req, res, services, safeDecode(m[1]!), safeDecode(m[2]!), url);
    m = /^\/api\/characters\/([^/]*)\/images$/.exec(p);
    if (m && method === 'POST') {
      await services.rateLimiter.hit(security.clientAddress(req), 'changes');
      return uploadRoute(req, res, services, safeDecode(m[1]!));
    }
    m = /^\/api\/characters\/([^/]*)\/images\/([^/]*)$/.exec(p);
    if (m && (method === 'GET' || method === 'HEAD')) return characterImageRoute(req, res, services, safeDecode(m[1]!), safeDecode(m[2]!));
    return sendJson(res, 404, { error: `No route for ${method} ${p}` });
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      url = new URL('http://localhost/');
    }
    const correlationId = correlationFrom(req, url);
    res.setHeader('X-Correlation-ID', correlationId);
    runWithCorrelation(correlationId, () => {
      res.on('finish', () =>
        log.info({ method: req.method, path: url.pathname, status: res.statusCode, ms: Date.now() - started }, 'request'),
      );
      route(req, res, url).catch((err: unknown) => {
        const app = toAppError(err);
        if (app.code === 'INTERNAL') log.error({ err, path: url.pathname }, 'request failed');
        security.abandonBody(req, res);
        sendError(res, app);
      });
    });
  };
}

/** `%2e%2e%2f` and friends are decoded before validation, so they are judged as what they mean. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '%invalid%';
  }
}
