/**
 * A Redis that answers reads but refuses writes (out of memory under noeviction, a read-only
 * replica) must not pass for healthy: /api/health says so with a 503, and changes get a clear 503
 * saying nothing was changed, never a bare 500.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, volumeSandbox } from './support.js';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let admin: Redis;
let character: string;

const json = { 'content-type': 'application/json' };
const health = async () => {
  const res = await rawRequest(stack.url, { path: '/api/health' });
  return { status: res.status, body: JSON.parse(res.text) as Record<string, unknown> };
};

async function expectRefusedChanges(reason: string): Promise<void> {
  const sentence = `Redis refuses writes (${reason}): nothing was changed; free memory in Redis (maxmemory) or point REDIS_URL at a writable primary`;
  const gen = await stack.call<{ message: string }>('generation.start', { config: { prompt: 'refused' } });
  expect([gen.status, gen.body.message]).toEqual([503, sentence]);
  const create = await stack.call<{ message: string }>('characters.create', { name: 'Refused', trigger_word: 'refused_person' });
  expect([create.status, create.body.message]).toEqual([503, sentence]);
  const up = await rawRequest(stack.url, { method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': MULTIPART }, body: multipart([{ filename: 'p.png', data: await pngOf(300, 300) }]) });
  expect(up.status).toBe(503);
  expect(JSON.parse(up.text)).toEqual({ error: sentence });
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-redis-ro-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume } });
  admin = new Redis(stack.redis.url);
  character = (await stack.api.services.characters.create({ name: 'Writes', trigger_word: 'writes_person' })).id;
});

afterAll(async () => {
  admin?.disconnect();
  await stack?.stop();
  sandbox?.remove();
});

describe('Redis refusing writes', () => {
  it('out of memory (maxmemory reached, noeviction): health is 503 refuses-writes, changes are a clear 503', async () => {
    expect(await health()).toMatchObject({ status: 200, body: { status: 'ok', redis: 'ok' } });
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    await admin.config('SET', 'maxmemory', '1');
    try {
      expect(await health()).toEqual({ status: 503, body: { status: 'degraded', redis: 'refuses-writes', redis_reason: 'OOM', workers: 0 } });
      await expectRefusedChanges('OOM');
      // Reads still work.
      expect((await stack.call('characters.list')).status).toBe(200);
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    expect(await health()).toMatchObject({ status: 200, body: { redis: 'ok' } });
  });

  it('a read-only replica: health names READONLY, changes are a clear 503', async () => {
    await admin.call('REPLICAOF', '127.0.0.1', '1'); // a primary that never answers: stays read-only
    try {
      expect(await health()).toMatchObject({ status: 503, body: { redis: 'refuses-writes', redis_reason: 'READONLY' } });
      await expectRefusedChanges('READONLY');
    } finally {
      await admin.call('REPLICAOF', 'NO', 'ONE');
    }
    expect(await health()).toMatchObject({ status: 200, body: { redis: 'ok' } });
    expect((await stack.call('characters.create', { name: 'Writable again', trigger_word: 'again_person' }, { headers: json })).status).toBe(200);
  });
});
