/**
 * system.readiness answers for the GPU side from what the live workers report, not from the API's
 * own host (which may have no GPU at all).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../../tests/helpers/redis-server.js';
import { tempDir, testConfig } from '../../../../tests/helpers/test-config.js';
import type { ReadinessItem } from '../../readiness.js';
import { KEY_PREFIX } from '../redis.js';
import { heartbeat } from '../worker-registry.js';
import { mergeWorkerItems, publishWorkerReadiness, readinessFromWorkers } from './worker-reports.js';

const testRedis = useTestRedis();
const gpus = (status: ReadinessItem['status'], message: string): ReadinessItem => ({ id: 'gpus', status, message, ...(status === 'ok' ? {} : { fix: 'use a GPU pod' }) });
const noSmi = { PATH: tempDir('isengard-no-smi-') }; // nvidia-smi is not found on the API host

beforeEach(async () => {
  const keys = await testRedis.redis.keys(`${KEY_PREFIX}*`);
  if (keys.length) await testRedis.redis.del(...keys);
});

describe('worker readiness reports', () => {
  it('the API host has no GPU, the worker has: the answer is the worker’s', async () => {
    const config = testConfig(testRedis.server.url, tempDir(), { TRAINING_BACKEND: 'ai-toolkit' });
    await heartbeat(testRedis.redis, 'gpu-0');
    await publishWorkerReadiness(testRedis.redis, 'gpu-0', [gpus('ok', '1 GPU: 0: NVIDIA L40S (46068 MiB)')]);
    const { items } = await readinessFromWorkers(config, { redis: testRedis.redis, env: noSmi });
    expect(items[0]).toEqual({ id: 'gpus', status: 'ok', message: '1 GPU: 0: NVIDIA L40S (46068 MiB) (worker gpu-0)' });
    expect(items.map((i) => i.id)).toEqual(['gpus', 'volume', 'redis']); // host checks still run here
  });

  it('with no live worker the API checks its own host and says so', async () => {
    const config = testConfig(testRedis.server.url, tempDir(), { TRAINING_BACKEND: 'ai-toolkit' });
    // A report whose worker stopped heartbeating is not trusted.
    await testRedis.redis.zadd(`${KEY_PREFIX}workers`, Date.now() - 60_000, 'gone');
    await publishWorkerReadiness(testRedis.redis, 'gone', [gpus('ok', '8 GPUs')]);
    const { items } = await readinessFromWorkers(config, { redis: testRedis.redis, env: noSmi });
    const gpu = items.find((i) => i.id === 'gpus')!;
    expect(gpu.status).toBe('fail');
    expect(gpu.message).toBe('no GPU seen (nvidia-smi not found) (checked on the API host: no worker has reported yet)');
  });

  it('workers that disagree: the worst status, each worker named', () => {
    const merged = mergeWorkerItems([
      { worker: 'a', at: '', items: [gpus('ok', '1 GPU'), { id: 'comfyui', status: 'ok', message: 'ComfyUI 0.3' }] },
      { worker: 'b', at: '', items: [gpus('fail', 'no GPU seen'), { id: 'comfyui', status: 'ok', message: 'ComfyUI 0.3' }] },
    ]);
    expect(merged).toEqual([
      { id: 'gpus', status: 'fail', message: 'a: 1 GPU; b: no GPU seen', fix: 'use a GPU pod' },
      { id: 'comfyui', status: 'ok', message: 'ComfyUI 0.3 (all 2 workers)' },
    ]);
  });
});
