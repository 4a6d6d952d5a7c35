/**
 * A Lua script registered once with ioredis's `defineCommand`: each call sends EVALSHA with only
 * the keys and arguments instead of the whole script text, and ioredis falls back to EVAL by
 * itself when Redis answers NOSCRIPT (a restarted or flushed Redis has forgotten it).
 */
import type { Redis } from 'ioredis';

export type RedisScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type ScriptCommands = Record<string, ((...args: (string | number)[]) => Promise<unknown>) | undefined>;

export function redisScript(redis: Redis, name: string, lua: string): RedisScript {
  const commands = redis as unknown as ScriptCommands;
  // Stores built on the same connection share the definition (same name, same script).
  if (typeof commands[name] !== 'function') redis.defineCommand(name, { lua });
  return (keys, args) => commands[name]!(keys.length, ...keys, ...args);
}
