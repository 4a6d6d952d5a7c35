/**
 * The create-t3-app seam: the real app router and services on a private Redis and a temp volume,
 * called in-process through `createCaller`, with no HTTP in between. Each call runs inside its
 * own correlation context when made through `as()`, as a request would.
 */
import fs from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { createApiServer, type ApiServer } from '../../src/server/api-server.js';
import { createCallerFactory } from '../../src/server/trpc.js';
import { runWithCorrelation } from '../../src/shared/node/correlation.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { silentLogger, tempDir, testConfig } from './test-config.js';

const callerFor = (api: ApiServer) => createCallerFactory(api.router);
type Caller = ReturnType<ReturnType<typeof callerFor>>;

export interface CallerHarness {
  readonly api: ApiServer;
  readonly redis: TestRedis;
  readonly volume: string;
  caller(correlationId?: string): Caller;
  /** Runs `fn` inside a correlation context, as the HTTP edge runs every request (services read the id from there). */
  as<T>(correlationId: string, fn: (caller: Caller) => Promise<T>): Promise<T>;
}

export function useCaller(env: Record<string, string> = {}): CallerHarness {
  const state = {} as { api: ApiServer; redis: TestRedis; volume: string };
  beforeAll(async () => {
    state.redis = await startRedis();
    state.volume = tempDir('isengard-caller-');
    state.api = createApiServer(testConfig(state.redis.url, state.volume, env), silentLogger());
    if (!(await state.api.ready(10_000))) throw new Error('private Redis did not answer');
  });
  afterAll(async () => {
    await state.api?.close(1000);
    await state.redis?.stop();
    if (state.volume) fs.rmSync(state.volume, { recursive: true, force: true });
  });
  return {
    get api() {
      return state.api;
    },
    get redis() {
      return state.redis;
    },
    get volume() {
      return state.volume;
    },
    caller(correlationId = 'caller-test') {
      return callerFor(state.api)({ correlationId, clientId: 'caller-test', services: state.api.services });
    },
    as(correlationId, fn) {
      return runWithCorrelation(correlationId, () => fn(this.caller(correlationId)));
    },
  };
}
