/**
 * Unwritable VOLUME_ROOT → clear error at start-up (exit 1); a full disk → the job fails with a
 * clear message and no partial file is left under an output name.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { spawnNode, startStack, type Stack } from '../helpers/stack.js';
import { startRedis } from '../helpers/redis-server.js';
import { tempDir, testEnv } from '../helpers/test-config.js';

describe('unwritable VOLUME_ROOT', () => {
  it.each(['src/server/main.ts', 'src/worker/main.ts'])('%s exits 1 naming VOLUME_ROOT', async (script) => {
    const redis = await startRedis();
    try {
      const notADir = path.join(tempDir(), 'a-file');
      fs.writeFileSync(notADir, 'x');
      const proc = spawnNode(script, { ...testEnv(redis.url, notADir), PORT: '0' });
      expect(await proc.exited).toBe(1);
      expect(proc.output.join('\n')).toContain(`VOLUME_ROOT ${notADir} is not writable`);
    } finally {
      await redis.stop();
    }
  });
});

describe('disk full', () => {
  let stack: Stack;
  let mountpoint: string;
  beforeAll(async () => {
    mountpoint = tempDir('isengard-tmpfs-');
    // A 2 MB tmpfs stands in for a full network volume (the machines run tests as root).
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountpoint]);
    stack = await startStack({ workers: 1, env: { VOLUME_ROOT: mountpoint } });
  });
  afterAll(async () => {
    await stack?.stop();
    execFileSync('umount', ['-l', mountpoint]);
  });

  it('fails the job with the reason and leaves no partial output', async () => {
    // Leave a sliver of space: enough for records and logs, not for a 2048x2048 upscaled PNG.
    const filler = path.join(mountpoint, 'filler.bin');
    const free = () => fs.statfsSync(mountpoint).bavail * fs.statfsSync(mountpoint).bsize;
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, free() - 96 * 1024)));
    const { body: job } = await stack.call<JobRecord>('generation.start', { config: { prompt: 'big', width: 2048, height: 2048, steps: 1, use_upscale: true } });
    const done = await stack.waitFor(job.id, undefined, 30_000);
    expect(done.status).toBe('failed');
    expect(done.error).toMatch(/ENOSPC|no space left/i);
    expect(done.outputs).toEqual([]);
    const dir = path.join(mountpoint, 'outputs', job.id);
    const left = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    expect(left).toEqual([]);
    fs.rmSync(filler);
    expect((await fetch(`${stack.url}/api/health`)).status).toBe(200);
  });
});
