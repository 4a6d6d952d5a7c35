/**
 * `./start.sh` keeps the studio running through the faults a GPU pod sees: a Redis restart, a worker
 * killed mid-training (by the OOM killer, say), a trainer left behind, and gives up loudly when a
 * process keeps crashing. Everything through the real script, with the fakes as backends.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { pngOf, upload } from '../helpers/fixtures.js';
import { REPO } from '../helpers/stack.js';
import { alive, cleanupStudios, launch, until, type Studio } from './studio-harness.js';

afterEach(cleanupStudios);

const URL_LINE = /Isengard \(fast-test\) at http:/;

async function generate(studio: Studio, prompt: string): Promise<JobRecord> {
  const res = await studio.call<JobRecord>('generation.start', { config: { prompt, width: 512, height: 512, steps: 4 } });
  expect(res.status).toBe(200);
  return res.body;
}

async function startTraining(studio: Studio, config: Record<string, unknown>): Promise<JobRecord> {
  const { body: character } = await studio.call<{ id: string }>('characters.create', { name: 'Zed', trigger_word: 'zed_person' });
  const files = await Promise.all([1, 2].map(async (i) => ({ name: `p${i}.png`, data: await pngOf(320, 400, i) })));
  expect((await upload(studio.url, character.id, files)).status).toBe(200);
  const res = await studio.call<JobRecord>('training.start', { character_id: character.id, config });
  expect(res.status).toBe(200);
  return res.body;
}

describe('./start.sh supervises', () => {
  it('Redis shut down: the API answers 503, Redis comes back on the same port and AOF, nothing is lost', async () => {
    const studio = await launch();
    await studio.waitForStderr(URL_LINE);
    const before = await generate(studio, 'before the restart');
    expect((await studio.waitForJob(before.id)).status).toBe('completed');
    const redisPid = studio.pidOf('redis')!;

    execFileSync('redis-cli', ['-p', String(studio.redisPort), 'shutdown']);
    const seen = new Set<number>();
    await until(async () => {
      const status = (await fetch(`${studio.url}/api/health`).catch(() => null))?.status ?? 0;
      seen.add(status);
      return seen.has(503) && status === 200;
    }, 30_000, 'health 503 while Redis is down, then 200 again');

    await studio.waitForStderr(new RegExp(`redis \\(pid ${redisPid}\\) exited with code 0; restart 1 in 1 s`));
    const newRedisPid = studio.pidOf('redis')!;
    expect(newRedisPid).not.toBe(redisPid);
    const args = fs.readFileSync(`/proc/${newRedisPid}/cmdline`, 'utf8').split('\0');
    expect(args.join(' ')).toContain(`redis-server 127.0.0.1:${studio.redisPort}`);
    expect(fs.existsSync(path.join(studio.volume, 'redis', 'appendonlydir'))).toBe(true);

    const kept = await studio.call<JobRecord>('jobs.get', { id: before.id });
    expect(kept.body).toMatchObject({ id: before.id, status: 'completed' });
    const after = await generate(studio, 'after the restart');
    expect((await studio.waitForJob(after.id)).status).toBe('completed');
    expect(studio.pidOf('worker')).toBe(studio.allPids()[1]); // the worker reconnected: never restarted
    expect(await studio.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('kill -9 of the worker mid-training: back within seconds, the job re-runs once, never left running', async () => {
    const studio = await launch({ MOCK_STEP_MS: '20' });
    await studio.waitForStderr(URL_LINE);
    const job = await startTraining(studio, { steps: 600 });
    await studio.waitForJob(job.id, (r) => r.status === 'running' && (r.current_step ?? 0) > 20, 30_000);
    const worker = studio.pidOf('worker')!;
    process.kill(worker, 'SIGKILL');

    await studio.waitForStderr(new RegExp(`worker \\(pid ${worker}\\) was killed by SIGKILL; restart 1 in 1 s`), 10_000);
    await until(() => studio.pidOf('worker') !== worker, 10_000, 'a new worker');
    const done = await studio.waitForJob(job.id, undefined, 90_000);
    if (done.status === 'completed') expect(done.attempts).toBe(2);
    else expect(done).toMatchObject({ status: 'failed', error: expect.stringMatching(/\S/) });
    expect(await studio.stop()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it('a trainer group left by a killed worker is ended, and Ctrl-C leaves no trainer behind', async () => {
    const studio = await launch({
      TRAINING_BACKEND: 'ai-toolkit',
      AI_TOOLKIT_DIR: path.join(REPO, 'tests/fakes/fake-ai-toolkit'),
      AI_TOOLKIT_PYTHON: 'python3',
      FLUX_MODEL: '/models/FLUX.1-dev',
      FAKE_AI_TOOLKIT_STEP_MS: '100',
      FAKE_AI_TOOLKIT_CHILD: '1',
      WORKER_STOP_GRACE_SECONDS: '1',
    });
    await studio.waitForStderr(URL_LINE);
    const job = await startTraining(studio, { steps: 500 });
    const pidFile = path.join(studio.volume, 'training', job.id, 'trainer.pid');
    await until(() => fs.existsSync(pidFile), 30_000, 'the trainer started');
    const trainer = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(alive(trainer)).toBe(true);

    const worker = studio.pidOf('worker')!;
    process.kill(worker, 'SIGKILL');
    await studio.waitForStderr(/ended 1 process group\(s\) worker left behind/, 15_000);
    expect(alive(trainer)).toBe(false);

    // The re-run starts a new trainer; stopping the studio must take it down too.
    await until(() => fs.existsSync(pidFile) && Number(fs.readFileSync(pidFile, 'utf8')) !== trainer, 30_000, 'the re-run trainer');
    const second = Number(fs.readFileSync(pidFile, 'utf8'));
    await until(() => alive(second), 5000, 'the re-run trainer is alive');
    const pids = studio.allPids();
    expect(await studio.stop()).toEqual({ code: 0, signal: null });
    expect([second, ...pids].filter(alive)).toEqual([]);
  }, 120_000);

  it('five crashes within two minutes: backoff 1, 2, 4, 8 s, then it gives up, says why and stops everything', async () => {
    const studio = await launch();
    await studio.waitForStderr(URL_LINE);
    const killed: number[] = [];
    for (let i = 0; i < 5; i++) {
      await until(() => studio.pidOf('api') !== undefined && !killed.includes(studio.pidOf('api')!), 30_000, 'a new api');
      const api = studio.pidOf('api')!;
      killed.push(api);
      process.kill(api, 'SIGKILL');
      if (i < 4) await studio.waitForStderr(new RegExp(`api \\(pid ${api}\\) was killed by SIGKILL; restart ${i + 1} in ${2 ** i} s`), 10_000);
    }
    const pids = studio.allPids();
    const { code } = await studio.exited;
    expect(code).toBe(1);
    expect(studio.stderr()).toMatch(new RegExp(`api \\(pid ${killed[4]}\\) was killed by SIGKILL: 5 crashes within 2 minutes; giving up and stopping everything`));
    expect([...studio.stderr().matchAll(/stopped (\S+)/g)].map((m) => m[1])).toEqual(['worker', 'redis']);
    expect(pids.filter(alive)).toEqual([]);
  }, 120_000);
});

