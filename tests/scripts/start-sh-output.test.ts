/**
 * `./start.sh` never hides what it or its processes say. The Redis probe used to run
 * `exec 3<>/dev/tcp/… 2>/dev/null`, which points the script's own stderr at /dev/null for good once
 * a Redis answers: config errors, warnings and the URL line all vanished. So these tests run with a
 * Redis that answers (the case that hid everything) as well as with one start.sh starts itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type TestRedis } from '../helpers/redis-server.js';
import { alive, cleanupStudios, launch } from './studio-harness.js';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());
afterEach(cleanupStudios);

describe('./start.sh output', () => {
  it('a bad env value: the variable and the reason on stderr, a non-zero exit, nothing left running', async () => {
    const studio = await launch({ REDIS_URL: redis.url, RATE_LIMIT_PER_MINUTE: '10000000' });
    const { code } = await studio.exited;
    expect(code).not.toBe(0);
    expect(studio.stderr()).toContain('Redis answers at');
    expect(studio.stderr()).toMatch(/RATE_LIMIT_PER_MINUTE.*Too big: expected number to be <=100000/);
    expect(studio.allPids()).toEqual([]);
  }, 90_000);

  it('a good start prints the URL line, and SIGTERM stops workers, then the API, then Redis', async () => {
    const studio = await launch();
    await studio.waitForStderr(new RegExp(`Isengard \\(fast-test\\) at http://127\\.0\\.0\\.1:${studio.port} `));
    expect((await fetch(`${studio.url}/api/health`)).status).toBe(200);
    const pids = studio.allPids();
    expect(pids).toHaveLength(3);
    expect(await studio.stop()).toEqual({ code: 0, signal: null });
    const stops = [...studio.stderr().matchAll(/stopped (\S+)/g)].map((m) => m[1]);
    expect(stops).toEqual(['worker', 'api', 'redis']);
    expect(pids.filter(alive)).toEqual([]);
  }, 90_000);

  it('HOST=0.0.0.0 without ISENGARD_API_TOKEN: the warning and the URL line reach the terminal', async () => {
    const studio = await launch({ REDIS_URL: redis.url, HOST: '0.0.0.0', ISENGARD_API_TOKEN: '' });
    await studio.waitForStderr(/WARNING: listening on 0\.0\.0\.0 without ISENGARD_API_TOKEN/);
    await studio.waitForStderr(new RegExp(`at http://0\\.0\\.0\\.0:${studio.port} `));
    expect(await studio.stop()).toEqual({ code: 0, signal: null });
  }, 90_000);
});
