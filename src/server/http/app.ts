/**
 * The one HTTP entry point. Every request goes through the same pipeline:
 *   1. correlation id (header, or connectionParams for SSE) around everything that follows;
 *   2. the pre-handlers, in order (pre-handlers.ts: request-wide checks such as the API token);
 *   3. tRPC, the plain route whose template (shared/http-api.ts) matches, or for non-/api paths
 *      the SPA (static files with fallback to index.html);
 *   4. any error, from any step → the one mapping (error-mapping.ts) → status + ErrorBody.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../shared/node/config.js';
import { acceptCorrelationId, CORRELATION_HEADER, runWithCorrelation } from '../../shared/node/correlation.js';
import { AppError } from '../../shared/errors.js';
import { API_PATHS } from '../../shared/http-api.js';
import { MAX_BATCH_ITEMS } from '../../shared/limits.js';
import type { Services } from '../services/index.js';
import type { AppRouter } from '../routers/index.js';
import { createContextFactory } from '../context.js';
import { SSE_OPTIONS } from '../trpc.js';
import { toAppError } from '../error-mapping.js';
import { characterImageRoute, jobFileRoute } from './files.route.js';
import { jobUpdatesRoute } from './job-updates.route.js';
import { logsRoute } from './logs.route.js';
import { createPageBootData } from './page-boot-data.js';
import { createPreHandlers, type PreHandler } from './pre-handlers.js';
import { sendError } from './respond.js';
import { RouteTable, type Route } from './route-table.js';
import { createStaticRoute } from './static.route.js';
import { createTrpcHandler } from './trpc-handler.js';
import { MAX_JSON_BODY, systemRoutes } from './system.routes.js';
import { uploadRoute } from './upload.route.js';
import { readJsonBody } from './read-json-body.js';
import { checkBatchSize } from '../security/batch-limit.js';
import { createSecurityEdge, type SecurityEdge } from '../security/security-edge.js';

export { MAX_JSON_BODY };
const TRPC_PREFIX = `${API_PATHS.trpc}/`;
const JOB_UPDATES_PATH = `${TRPC_PREFIX}jobs.onUpdate`;

/** SSE subscriptions cannot send headers, so their correlation id rides in connectionParams. */
function correlationFrom(req: IncomingMessage, url: URL): string {
  const header = req.headers[CORRELATION_HEADER];
  if (header === undefined && url.pathname.startsWith(TRPC_PREFIX)) {
    try {
      const params = JSON.parse(url.searchParams.get('connectionParams') ?? 'null') as Record<string, unknown> | null;
      if (params && typeof params.correlationId === 'string') return acceptCorrelationId(params.correlationId);
    } catch {
      /* fall through to a fresh id */
    }
  }
  return acceptCorrelationId(header);
}

/** Long-lived responses (SSE, log follow): not waited for on shutdown, ended instead. */
export function isStreaming(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream') || /[?&]follow=(1|true)/.test(req.url ?? '');
}

export function apiRoutes(services: Services, security: SecurityEdge): Route[] {
  return [
    ...systemRoutes(services, security),
    { path: 'jobLogs', methods: ['GET', 'HEAD'], handle: logsRoute(services.jobLogs) },
    { path: 'jobFile', methods: ['GET', 'HEAD'], handle: jobFileRoute(services.files, services.thumbnails) },
    {
      path: 'characterImages',
      methods: ['POST'],
      handle: uploadRoute(services.characterImages, ({ req }) => services.rateLimiter.hit(security.clientAddress(req), 'changes')),
    },
    { path: 'characterImage', methods: ['GET', 'HEAD'], handle: characterImageRoute(services.files, services.thumbnails) },
  ];
}

export function createRequestHandler(opts: {
  config: Config;
  services: Services;
  router: AppRouter;
  clientDir: string;
  logger: Logger;
  preHandlers?: PreHandler[];
  /** false: single tRPC calls go through resolveResponse too (tests compare the two). */
  singleCalls?: boolean;
}) {
  const { services, logger } = opts;
  const log = logger.child({ component: 'http' });
  const security = createSecurityEdge({
    config: opts.config,
    rateLimiter: services.rateLimiter,
    sessions: services.sessions,
    readJson: (req) => readJsonBody(req, MAX_JSON_BODY),
    logger,
  });
  const preHandlers = opts.preHandlers ?? createPreHandlers(security);
  const createContext = createContextFactory(services, security.clientAddress);
  const trpc = createTrpcHandler({
    router: opts.router,
    basePath: TRPC_PREFIX,
    maxBodySize: MAX_JSON_BODY,
    maxBatchSize: MAX_BATCH_ITEMS,
    singleCalls: opts.singleCalls,
    createContext,
    responseMeta({ errors }) {
      const retryAfter = errors.map((e) => toAppError(e).retryAfter).find((r) => r !== undefined);
      return retryAfter ? { headers: { 'Retry-After': String(retryAfter) } } : {};
    },
    onError({ error, path }) {
      const app = toAppError(error);
      if (app.code === 'INTERNAL') log.error({ err: error.cause ?? error, path }, 'procedure failed');
    },
  });
  const jobUpdates = jobUpdatesRoute(services.jobs, { pingMs: SSE_OPTIONS.ping.intervalMs, client: SSE_OPTIONS.client });
  const routes = new RouteTable(apiRoutes(services, security));
  const bootData = createPageBootData({
    router: opts.router,
    tokenRequired: Boolean(opts.config.ISENGARD_API_TOKEN),
    context: (req) => createContext({ req }),
  });
  const staticRoute = createStaticRoute(opts.clientDir, bootData);

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const method = req.method ?? 'GET';
    const isApi = p.startsWith('/api/');
    const isTrpc = p.startsWith(TRPC_PREFIX);
    const match = isApi && !isTrpc ? routes.match(method, p) : null;
    const isPublic = !isApi || match?.route.public === true;
    for (const pre of preHandlers) await pre({ req, res, url, isApi, isPublic });
    if (!isApi) return staticRoute(req, res, p);
    if (isTrpc) {
      checkBatchSize(p, url);
      // jobs.onUpdate's plain case: one serialization per update for every subscriber.
      if (p === JOB_UPDATES_PATH && (await jobUpdates(req, res, url))) return;
      return trpc(req, res, url);
    }
    if (!match) throw AppError.notFound(`No route for ${method} ${p}`);
    await match.route.handle({ req, res, url, params: match.params });
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

