/**
 * Observability smoke tests (SMOKE_TEST_ENABLED=1, set by `./start.sh test`): the
 * production build (dist/) runs as real API and worker processes on a private Redis; a generation
 * with upscale and a training run to completion; the logs download has every line carrying the
 * request's correlation id.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import type { JobRecord } from '../../src/shared/jobs.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { REPO, waitForLine, type WorkerProcess } from '../helpers/stack.js';
import { spawn } from 'node:child_process';
import { tempDir, testEnv } from '../helpers/test-config.js';
import { pngOf, upload } from '../helpers/fixtures.js';

const ENABLED = process.env.SMOKE_TEST_ENABLED === '1';
let redis: TestRedis;
let api: WorkerProcess;
let worker: WorkerProcess;
let url = '';

function startBuilt(script: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [path.join(REPO, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(...d.split('\n').filter(Boolean)));
  return { child, output, exited: new Promise((r) => child.once('exit', r)) };
}

async function call<T>(proc: string, input: unknown, correlationId: string): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${proc}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'X-Correlation-ID': correlationId },
    body: JSON.stringify(input),
  });
  expect(res.headers.get('x-correlation-id')).toBe(correlationId);
  return ((await res.json()) as { result: { data: T } }).result.data;
}

async function waitJob(id: string): Promise<JobRecord> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${url}/api/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id }))}`);
    const job = ((await res.json()) as { result: { data: JobRecord } }).result.data;
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${id} did not finish`);
}

async function logLines(id: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${url}/api/jobs/${id}/logs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-ndjson');
  return (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe.runIf(ENABLED)('smoke: production build, real processes', () => {
  beforeAll(async () => {
    if (!fs.existsSync(path.join(REPO, 'dist/server/main.js')) || !fs.existsSync(path.join(REPO, 'dist/worker/main.js'))) {
      execFileSync('npm', ['run', '--silent', 'build:server'], { cwd: REPO, stdio: 'ignore' });
    }
    redis = await startRedis();
    const port = await freePort();
    const env = { ...testEnv(redis.url, tempDir('isengard-smoke-')), PORT: String(port), LOG_LEVEL: 'info' };
    api = startBuilt('dist/server/main.js', env);
    worker = startBuilt('dist/worker/main.js', env);
    await waitForLine(api, /Isengard API listening/);
    await waitForLine(worker, /worker ready/);
    url = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    for (const p of [api, worker]) if (p && p.child.exitCode === null) p.child.kill('SIGTERM');
    await Promise.all([api?.exited, worker?.exited]);
    await redis?.stop();
  });

  it('correlation id propagates header → Redis → every JSONL line of a generation with upscale (2x output)', async () => {
    const cid = `smoke-${Date.now().toString(16)}`;
    const job = await call<JobRecord>('generation.start', { config: { prompt: 'smoke test', width: 512, height: 512, steps: 2, use_upscale: true } }, cid);
    expect(job.correlation_id).toBe(cid);
    const done = await waitJob(job.id);
    expect(done.status).toBe('completed');
    const image = await fetch(`${url}/api/jobs/${job.id}/files/${done.outputs[0]!.name}`);
    const meta = await sharp(Buffer.from(await image.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([1024, 1024]);
    const lines = await logLines(job.id);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.correlation_id).toBe(cid);
    expect(lines.some((l) => l.service === 'api') && lines.some((l) => l.service === 'worker')).toBe(true);
  });

  it('a training runs to a LoRA and its log downloads with the same correlation id throughout', async () => {
    const cid = `smoke-train-${Date.now().toString(16)}`;
    const character = await call<{ id: string }>('characters.create', { name: 'Smoke', trigger_word: 'smoke_person' }, cid);
    const up = await upload(url, character.id, [{ name: 'a.png', data: await pngOf(320, 320) }]);
    expect(up.body.uploaded).toHaveLength(1);
    const job = await call<JobRecord>('training.start', { character_id: character.id, config: { steps: 100 } }, cid);
    const done = await waitJob(job.id);
    expect(done.status).toBe('completed');
    expect(done.result_lora_id).toMatch(/^lora-/);
    for (const line of await logLines(job.id)) expect(line.correlation_id).toBe(cid);
  });
});
