/**
 * The one place that reaches into bee-queue's private API, kept because nothing public does it:
 * bee-queue 2 loads its Lua scripts once at `ready` (SCRIPT LOAD) and from then on only calls
 * EVALSHA. A restarted Redis has forgotten the scripts, so every queue operation would fail with
 * NOSCRIPT until the process restarts (tests/faults/redis-restart.test.ts). This reloads the
 * scripts whenever the command client reconnects, and retries a call once after reloading if
 * NOSCRIPT still slips through in between. If bee-queue renames `_evalScriptOn`, the assertion
 * below fails at start-up instead of silently losing the protection.
 */
import { createRequire } from 'node:module';
import type BeeQueue from 'bee-queue';

const require = createRequire(import.meta.url);
const lua = require('bee-queue/lib/lua/index.js') as { buildCache(client: unknown): Promise<unknown> };

type EvalOn = (commandable: unknown, args: unknown[]) => Promise<unknown>;
interface QueueInternals {
  client?: { on(event: 'ready', fn: () => void): void };
  _evalScriptOn?: EvalOn;
}

export function reloadScriptsAfterRedisRestart<T>(queue: BeeQueue<T>): void {
  const internals = queue as unknown as QueueInternals;
  if (typeof internals._evalScriptOn !== 'function') throw new Error('bee-queue internals changed: _evalScriptOn is missing');
  const original = internals._evalScriptOn.bind(queue);
  internals._evalScriptOn = (commandable, args) => {
    // bee-queue mutates args (sha in front, callback at the end): keep a pristine copy for the retry.
    const retryArgs = [...args];
    return original(commandable, args).catch(async (err: unknown) => {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      await lua.buildCache(internals.client);
      return original(commandable, retryArgs);
    });
  };
  void queue
    .ready()
    .then(() => internals.client?.on('ready', () => void lua.buildCache(internals.client).catch(() => undefined)))
    .catch(() => undefined);
}
