/**
 * Builds a complete API server (services, router, HTTP handler) from a config, without
 * listening: main.ts and the integration tests share it.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../shared/node/config.js';
import { createInfrastructure, type Infrastructure } from '../shared/node/infrastructure.js';
import { activeManifests } from './active-manifests.js';
import { createServices, type Services } from './services/index.js';
import { createAppRouter, type AppRouter } from './routers/index.js';
import { createRequestHandler, isStreaming } from './http/app.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repo root from src/server (tsx) or dist/server (built). */
export const REPO_ROOT = path.resolve(here, '..', '..');

export function readVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export interface ApiServer {
  server: http.Server;
  services: Services;
  /** The stores and paths the services are built on: for tests and tools, never handed to a route or router. */
  infra: Infrastructure;
  router: AppRouter;
  /** Resolves once Redis answers (or after timeoutMs): listening earlier would answer 503s. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Stops accepting, lets in-flight requests finish (≤ timeoutMs), ends streams, closes connections. */
  close(timeoutMs?: number): Promise<void>;
}

export function createApiServer(config: Config, logger: Logger, opts: { clientDir?: string } = {}): ApiServer {
  const infra = createInfrastructure(config, logger, { role: 'api' });
  const { redis } = infra;
  const services = createServices(infra, { version: readVersion(), logger });
  const router = createAppRouter(activeManifests(config));
  const handler = createRequestHandler({
    config,
    services,
    router,
    clientDir: opts.clientDir ?? path.join(REPO_ROOT, 'dist', 'client'),
    logger,
  });
  let inflight = 0;
  let onIdle: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    if (isStreaming(req)) return handler(req, res);
    inflight++;
    res.on('close', () => {
      inflight--;
      if (inflight === 0) onIdle?.();
    });
    handler(req, res);
  });
  server.keepAliveTimeout = 5000;
  // Receiving one request (headers + body) may take this long: big uploads on slow links, not forever.
  server.requestTimeout = 15 * 60_000;

  async function close(timeoutMs = 8000): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (inflight > 0) {
      await new Promise<void>((resolve) => {
        onIdle = resolve;
        setTimeout(resolve, timeoutMs).unref();
      });
    }
    server.closeAllConnections();
    await closed;
    await services.close();
  }

  function ready(timeoutMs = 5000): Promise<boolean> {
    if (redis.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  return { server, services, infra, router, ready, close };
}
