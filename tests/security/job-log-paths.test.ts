/**
 * What a user sees carries no server paths: the downloadable job log shows paths relative to
 * VOLUME_ROOT, and prompts refuse control characters like names and captions do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobLogger } from '../../src/shared/node/job-logger.js';
import { silentLogger } from '../helpers/test-config.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { rawRequest, volumeSandbox } from './support.js';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-logpaths-');
  stack = await startStack({ workers: 1, env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

describe('job logs', () => {
  it('a finished training and generation log paths relative to VOLUME_ROOT, never absolute', async () => {
    const character = await characterWithImages(stack, 2, 'paths_person');
    const training = await stack.call<{ id: string }>('training.start', { character_id: character, config: { steps: 100 } });
    expect(training.status).toBe(200);
    const done = await stack.waitFor(training.body.id);
    expect(done.status).toBe('completed');
    const generation = await stack.call<{ id: string }>('generation.start', { config: { prompt: 'paths_person', steps: 4 }, lora_id: done.result_lora_id });
    await stack.waitFor(generation.body.id);
    for (const id of [training.body.id, generation.body.id]) {
      const log = await rawRequest(stack.url, { path: `/api/jobs/${id}/logs` });
      expect(log.status).toBe(200);
      expect(log.text, id).not.toContain(sandbox.volume);
      expect(log.text, id).not.toContain(sandbox.parent);
    }
  }, 60_000);

  it('what a backend logs with absolute paths (config file, saved images) reaches the download relative to the volume', async () => {
    const id = 'training-00000000beef';
    const { paths } = stack.api.infra;
    const log = new JobLogger({ jobId: id, service: 'worker', logPath: paths.jobLog(id), logger: silentLogger() });
    const config = path.join(paths.trainingDir(id), 'config.yaml');
    log.info('ai-toolkit config written', 'trainer.config', { path: config, datasets: [{ folder_path: path.join(paths.trainingDir(id), 'dataset') }] });
    log.info(`Saved image 1/1 as ${path.join(paths.outputsDir('generation-00000000beef'), 'out_0.png')}`, 'comfyui.image_saved');
    log.close();
    const text = (await rawRequest(stack.url, { path: `/api/jobs/${id}/logs` })).text;
    expect(text).not.toContain(sandbox.volume);
    const [written, saved] = text.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; fields?: { path: string; datasets: { folder_path: string }[] } });
    expect(written!.fields).toEqual({ path: `training/${id}/config.yaml`, datasets: [{ folder_path: `training/${id}/dataset` }] });
    expect(saved!.msg).toBe('Saved image 1/1 as outputs/generation-00000000beef/out_0.png');
  });
});

describe('job records', () => {
  it('a job that fails on a file error records the path relative to the volume, not the absolute one', async () => {
    // A stack of its own without a worker, so the snapshot is gone before any trainer starts.
    const own = volumeSandbox('isengard-sec-recpaths-');
    const solo = await startStack({ env: { VOLUME_ROOT: own.volume } });
    try {
      const character = await characterWithImages(solo, 1, 'gone_person');
      const started = await solo.call<{ id: string }>('training.start', { character_id: character, config: { steps: 100 } });
      // A volume hiccup: the trainer's ENOENT names the absolute snapshot folder.
      fs.rmSync(path.join(own.volume, 'training', started.body.id, 'dataset'), { recursive: true, force: true });
      await solo.spawnWorker();
      const done = await solo.waitFor(started.body.id);
      expect(done.status).toBe('failed');
      expect(done.error).toContain(`training/${started.body.id}/dataset`);
      expect(done.error).not.toContain(own.volume);
      const answer = await rawRequest(solo.url, { path: `/api/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: started.body.id }))}` });
      expect(answer.text).not.toContain(own.volume);
    } finally {
      await solo.stop();
      own.remove();
    }
  }, 60_000);
});

describe('prompts', () => {
  it.each([
    ['NUL', 'a\u0000b'],
    ['ESC', 'red \u001b[31mtext'],
    ['BEL', 'ring\u0007'],
    ['DEL', 'x\u007fy'],
    ['C1', 'x\u0085y'],
    ['a lone surrogate', 'half \ud800 pair'],
  ])('a prompt with %s is refused like a name or caption would be', async (_what, prompt) => {
    const res = await stack.call<{ message: string }>('generation.start', { config: { prompt } });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("Parameter 'prompt' must not contain control characters");
  });

  it('newlines and tabs stay allowed', async () => {
    const res = await stack.call('generation.start', { config: { prompt: 'line one\nline two\twith a tab' } });
    expect(res.status).toBe(200);
  });
});
