/**
 * API → worker → florence2 caption backend → a fake captioner speaking the real JSON-lines protocol
 * (tests/fakes/fake-florence2, run as AI_TOOLKIT_PYTHON). A ComfyUI shares the GPU, so it is asked
 * to free its memory first. A crash gives the job the stderr tail; a cancel ends the process group
 * and keeps the captions already written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Character } from '../../src/shared/characters.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { isAlive, waitFor } from '../fakes/fake-ai-toolkit/harness.js';
import { startFakeComfyUI, type FakeComfyUI } from '../fakes/fake-comfyui.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';
import { REPO, startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

const FAKE_PYTHON = path.join(REPO, 'tests', 'fakes', 'fake-florence2', 'python');
const FLORENCE = { kind: 'model', model: 'microsoft/Florence-2-large', version: 'fakerev0123456789' };

let stack: Stack;
let comfy: FakeComfyUI;
let control: string;
let pidFile: string;
let requests: string;
let hfHome: string;

beforeAll(async () => {
  const dir = tempDir('isengard-florence-');
  control = path.join(dir, 'control.json');
  pidFile = path.join(dir, 'pids');
  requests = path.join(dir, 'requests.jsonl');
  hfHome = path.join(dir, 'hf');
  const comfyDir = tempDir('isengard-florence-comfy-');
  comfy = await startFakeComfyUI({ comfyuiDir: comfyDir });
  stack = await startStack({
    workers: 1,
    env: {
      CAPTION_BACKEND: 'florence2',
      AI_TOOLKIT_PYTHON: FAKE_PYTHON,
      HF_HOME: hfHome,
      IMAGE_BACKEND: 'comfyui',
      COMFYUI_URL: comfy.url,
      COMFYUI_DIR: comfyDir,
      FAKE_FLORENCE_CONTROL: control,
      FAKE_FLORENCE_PIDFILE: pidFile,
      FAKE_FLORENCE_REQUESTS: requests,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await comfy?.close();
});
beforeEach(() => {
  fs.rmSync(control, { force: true });
  fs.rmSync(pidFile, { force: true });
});

const post = <T>(proc: string, input: unknown) => stack.call<T>(proc, input, { method: 'POST' });
const character = async (id: string) => (await stack.call<Character>('characters.get', { id })).body;
const steer = (c: Record<string, unknown>) => fs.writeFileSync(control, JSON.stringify(c));

async function startCaption(input: Record<string, unknown>): Promise<string> {
  const res = await post<{ job_id: string }>('characters.caption', input);
  expect(res.status).toBe(200);
  return res.body.job_id;
}

describe('caption job with the florence2 backend (fake captioner)', () => {
  it('sends the request on stdin, writes each caption with the model revision, frees ComfyUI first, reports per-image errors', async () => {
    const id = await characterWithImages(stack, 3, 'flo_one');
    const images = (await character(id)).images.map((i) => i.name);
    steer({ fail_index: 1 });
    const freesBefore = comfy.frees.length;
    const job = await stack.waitFor(await startCaption({ id, style: 'detailed' }));
    expect(job).toMatchObject({ status: 'completed', current_step: 3, total_steps: 3, message: 'Captioned 2 of 3 images; 1 failed (see the job log)' });

    const seen = fs.readFileSync(requests, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { args: string[]; request: { task: string; images: { name: string; path: string }[] }; hf_home: string }).at(-1)!;
    expect(seen.args).toEqual(['--model', 'microsoft/Florence-2-large']);
    expect(seen.request.task).toBe('<DETAILED_CAPTION>');
    expect(seen.request.images.map((i) => i.name)).toEqual(images);
    expect(seen.request.images.every((i) => i.path === path.join(stack.volume, 'characters', id, 'images', i.name))).toBe(true);
    expect(seen.hf_home).toBe(hfHome);
    expect(comfy.frees.length).toBe(freesBefore + 1);

    const after = await character(id);
    expect(after.images[0]).toMatchObject({ caption: 'flo_one, the image shows a person standing in a sunny garden. In the background there is a hedge. Picture 1.', caption_source: FLORENCE });
    expect(after.images[1]).toMatchObject({ caption: 'flo_one' }); // the failed one keeps the upload's placeholder
    expect(after.images[1]!.caption_source).toBeUndefined();
    expect(after.images[2]!.caption_source).toEqual(FLORENCE);

    const log = await readLogLines(stack.url, job.id);
    const events = log.map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['comfyui.free', 'caption.process_start', 'caption.model_loading', 'caption.model_ready', 'caption.image_failed', 'caption.process_exit']));
    expect(events.indexOf('comfyui.free')).toBeLessThan(events.indexOf('caption.process_start'));
    expect(log.find((l) => l.event === 'caption.image_failed')?.fields).toMatchObject({ image: images[1], reason: 'UnidentifiedImageError: cannot identify image file' });
    // Library chatter on stdout is logged, never taken for a protocol line.
    expect(log.some((l) => l.event === 'caption.output' && /Some weights/.test(l.msg))).toBe(true);
  });

  it('a crash fails the job with the stderr tail, in the record and the log, and keeps the captions written before it', async () => {
    const id = await characterWithImages(stack, 3, 'flo_two');
    steer({ crash_after: 1 });
    const job = await stack.waitFor(await startCaption({ id }));
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^The Florence-2 captioner exited with code 1\n/);
    expect(job.error).toContain('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(job.attempts).toBe(1); // final: a second attempt would crash the same way
    const log = await readLogLines(stack.url, job.id);
    expect(log.find((l) => l.event === 'job.failed')?.msg).toContain('CUDA out of memory');
    const after = await character(id);
    expect(after.images[0]).toMatchObject({ caption: 'flo_two, a person standing in a sunny garden, picture 1.', caption_source: FLORENCE });
    expect(after.images.slice(1).map((i) => i.caption)).toEqual(['flo_two', 'flo_two']);
  });

  it('a model that cannot load fails the job with the fatal message', async () => {
    const id = await characterWithImages(stack, 1, 'flo_three');
    steer({ fatal: true });
    const job = await stack.waitFor(await startCaption({ id }));
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/^The Florence-2 captioner exited with code 3: could not load microsoft\/Florence-2-large: OSError: no weights\n/);
    expect(job.error).toContain('does not appear to have a file named pytorch_model.bin');
  });

  it('cancel ends the process group and keeps the finished captions', async () => {
    const id = await characterWithImages(stack, 3, 'flo_four');
    steer({ hang_after: 1 });
    const jobId = await startCaption({ id });
    await stack.waitFor(jobId, (r: JobRecord) => r.current_step === 1, 30_000);
    await waitFor(() => fs.existsSync(pidFile), 10_000, 'the fake captioner pid file');
    const [pid, helper] = fs.readFileSync(pidFile, 'utf8').split(' ').map(Number) as [number, number];
    expect(isAlive(pid) && isAlive(helper)).toBe(true);
    expect((await post('jobs.cancel', { id: jobId })).status).toBe(200);
    const job = await stack.waitFor(jobId);
    expect(job.status).toBe('cancelled');
    await waitFor(() => !isAlive(pid) && !isAlive(helper), 15_000, 'the captioner and its helper to end');
    const after = await character(id);
    expect(after.images[0]).toMatchObject({ caption: 'flo_four, a person standing in a sunny garden, picture 1.', caption_source: FLORENCE });
    expect(after.images.slice(1).map((i) => i.caption)).toEqual(['flo_four', 'flo_four']);
    const events = (await readLogLines(stack.url, jobId)).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['caption.cancel', 'job.cancelled']));
  });

  it('purging the person stops their running caption job first and scrubs its record', async () => {
    const id = await characterWithImages(stack, 2, 'flo_five');
    steer({ hang_after: 1 });
    const jobId = await startCaption({ id });
    await stack.waitFor(jobId, (r: JobRecord) => r.current_step === 1, 30_000);
    const preview = await stack.call<{ active_jobs: string[] }>('characters.purgePreview', { id });
    expect(preview.body.active_jobs).toContain(jobId);
    const purge = await post<JobRecord>('characters.purge', { id });
    expect(purge.status).toBe(200);
    expect((await stack.waitFor(purge.body.id, undefined, 60_000)).status).toBe('completed');
    const caption = await stack.waitFor(jobId);
    expect(caption.status).toBe('cancelled');
    expect(caption.purged_at).toBeDefined();
    expect(fs.existsSync(path.join(stack.volume, 'characters', id))).toBe(false);
  });
  it('a caption edited while the job runs is kept: the job skips that image', async () => {
    const id = await characterWithImages(stack, 2, 'flo_six');
    const [first, second] = (await character(id)).images.map((i) => i.name) as [string, string];
    steer({ delay_ms: 2500 });
    const jobId = await startCaption({ id, mode: 'all' });
    await stack.waitFor(jobId, (r: JobRecord) => r.status === 'running', 30_000);
    await post('characters.setCaption', { id, image: first, caption: 'typed while the model ran' });
    const job = await stack.waitFor(jobId);
    expect(job).toMatchObject({ status: 'completed', message: 'Captioned 1 of 2 images; 1 skipped (edited or deleted meanwhile)' });
    const after = await character(id);
    expect(after.images.find((i) => i.name === first)).toMatchObject({ caption: 'typed while the model ran', caption_source: { kind: 'user' } });
    expect(after.images.find((i) => i.name === second)).toMatchObject({ caption: 'flo_six, a person standing in a sunny garden, picture 2.', caption_source: FLORENCE });
    const skipped = (await readLogLines(stack.url, jobId)).filter((l) => l.event === 'caption.image_skipped');
    expect(skipped.map((l) => l.fields)).toEqual([{ image: first, reason: 'edited' }]);
  });

  it('when no image could be captioned the job fails, without a retry', async () => {
    const id = await characterWithImages(stack, 1, 'flo_seven');
    steer({ fail_index: 0 });
    const job = await stack.waitFor(await startCaption({ id }));
    expect(job).toMatchObject({ status: 'failed', attempts: 1, error: 'No image could be captioned (1 failed; the job log has each reason)' });
  });
});
