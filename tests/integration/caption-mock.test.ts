/**
 * API → worker → mock captioner (issue #18): characters.caption creates a caption job on the GPU
 * queue; captions are written per image with their source; `missing` leaves captions a person typed
 * alone, `all` overwrites them; the trigger word goes first unless asked not to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Character } from '../../src/shared/characters.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { characterWithImages, pngOf, readLogLines, upload } from '../helpers/fixtures.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { runCli } from '../tools/cli-harness.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => stack?.stop());

const MOCK = { kind: 'model', model: 'isengard/mock-captioner', version: '1' };
const post = <T>(proc: string, input: unknown) => stack.call<T>(proc, input, { method: 'POST' });
const character = async (id: string) => (await stack.call<Character>('characters.get', { id })).body;
const captionFile = (id: string, image: string) => fs.readFileSync(path.join(stack.volume, 'characters', id, 'images', image.replace(/\.\w+$/, '.txt')), 'utf8');

async function caption(input: Record<string, unknown>): Promise<JobRecord> {
  const res = await post<{ job_id: string }>('characters.caption', input);
  expect(res.status).toBe(200);
  expect(res.body.job_id).toMatch(/^caption-[0-9a-f]{12}$/);
  return stack.waitFor(res.body.job_id);
}

describe('caption job with the mock captioner', () => {
  it('captions images without a caption, trigger word first, recording the model; the job is a normal job', async () => {
    const id = await characterWithImages(stack, 3, 'cap_one');
    const before = await character(id);
    // A person typed this one: `missing` must keep it.
    const typed = before.images[1]!.name;
    await post('characters.setCaption', { id, image: typed, caption: 'cap_one laughing at the beach' });

    const job = await caption({ id, mode: 'missing' });
    expect(job).toMatchObject({ type: 'caption', status: 'completed', character_id: id, progress: 1, current_step: 2, total_steps: 2 });
    expect(job.config).toEqual({ mode: 'missing', style: 'short', trigger: 'prefix' });
    expect(job.message).toBe('Captioned 2 of 2 images');

    const after = await character(id);
    for (const image of after.images) {
      if (image.name === typed) {
        expect(image).toMatchObject({ caption: 'cap_one laughing at the beach', caption_source: { kind: 'user' } });
        continue;
      }
      // fixtures.pngOf: 320×400 → portrait; the colour comes from sharp's dominant colour.
      expect(image.caption).toMatch(/^cap_one, a portrait photo in [a-z]+ tones$/);
      expect(image.caption_source).toEqual(MOCK);
      expect(captionFile(id, image.name)).toBe(image.caption);
    }

    const listed = (await stack.call<{ items: JobRecord[] }>('jobs.list', { type: 'caption' })).body.items.map((j) => j.id);
    expect(listed).toContain(job.id);
    const log = await readLogLines(stack.url, job.id);
    const events = log.map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['job.queued', 'job.start', 'caption.start', 'caption.image', 'caption.done', 'job.complete']));
    expect(log.filter((l) => l.event === 'caption.image')).toHaveLength(2);
    expect(new Set(log.map((l) => l.correlation_id)).size).toBe(1);
    // The caption text describes a person: it stays in the character's files, not in the log.
    expect(JSON.stringify(log)).not.toContain('portrait photo');
  });

  it('missing mode skips machine captions and typed ones; all mode overwrites every caption, detailed and without the trigger', async () => {
    const id = await characterWithImages(stack, 2, 'cap_two');
    const [first, second] = (await character(id)).images.map((i) => i.name) as [string, string];
    await caption({ id, mode: 'missing' });
    await post('characters.setCaption', { id, image: second, caption: 'typed by hand' });

    const again = await caption({ id, mode: 'missing' });
    expect(again.message).toBe('No image needs a caption');
    expect((await character(id)).images.find((i) => i.name === second)?.caption).toBe('typed by hand');

    const all = await caption({ id, mode: 'all', style: 'detailed', trigger: 'none' });
    expect(all.message).toBe('Captioned 2 of 2 images');
    const after = await character(id);
    for (const name of [first, second]) {
      const image = after.images.find((i) => i.name === name)!;
      expect(image.caption).toMatch(/^A portrait photo, 320 by 400 pixels, in [a-z]+ tones\. Its dominant colour is [a-z]+ \(RGB \d+, \d+, \d+\), and the picture is [a-z -]+\.$/);
      expect(image.caption).not.toContain('cap_two');
      expect(image.caption_source).toEqual(MOCK);
    }
  });

  it('an empty caption counts as missing; a landscape image says so', async () => {
    const { body } = await post<Character>('characters.create', { name: 'Wide', trigger_word: 'cap_wide' });
    const res = await upload(stack.url, body.id, [{ name: 'w.png', data: await pngOf(640, 320, 3) }]);
    const name = res.body.uploaded[0]!.name;
    await post('characters.setCaption', { id: body.id, image: name, caption: '' });
    const job = await caption({ id: body.id });
    expect(job.message).toBe('Captioned 1 of 1 images');
    expect((await character(body.id)).images[0]!.caption).toMatch(/^cap_wide, a landscape photo in [a-z]+ tones$/);
  });

  it('validates the request from the manifest and refuses unknown characters', async () => {
    const bad = await post<{ message: string }>('characters.caption', { id: 'char-000000000000', mode: 'some' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("Parameter 'mode' must be one of ['missing', 'all']");
    const style = await post<{ message: string }>('characters.caption', { id: 'char-000000000000', style: 7 });
    expect(style.body.message).toBe("Parameter 'style' must be one of ['short', 'detailed']");
    const missing = await post<{ message: string }>('characters.caption', { id: 'char-000000000000' });
    expect(missing.status).toBe(404);
    const info = (await stack.call<{ captioning: { backend: string; model: string; parameters: Record<string, unknown> } }>('system.info')).body;
    expect(info.captioning).toMatchObject({ backend: 'mock', model: 'isengard/mock-captioner' });
    expect(Object.keys(info.captioning.parameters)).toEqual(['mode', 'style', 'trigger']);
  });

  it('isengard characters caption: missing by default with progress to the end, --all --style detailed --no-trigger, a bad style is the server sentence', async () => {
    const id = await characterWithImages(stack, 2, 'cap_cli');
    const cli = (...args: string[]) => runCli(['characters', 'caption', id, ...args, '--url', stack.url]);
    const first = await cli();
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^caption-[0-9a-f]{12} {2}caption {2}completed .* 100%$/m);
    expect(first.stdout).toContain('message     Captioned 2 of 2 images');
    expect((await character(id)).images.every((i) => /^cap_cli, a portrait photo in [a-z]+ tones$/.test(i.caption))).toBe(true);

    const again = await cli('--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ type: 'caption', status: 'completed', message: 'No image needs a caption', config: { mode: 'missing', style: 'short', trigger: 'prefix' } });

    const all = await cli('--all', '--style', 'detailed', '--no-trigger', '--json');
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ status: 'completed', message: 'Captioned 2 of 2 images', config: { mode: 'all', style: 'detailed', trigger: 'none' } });
    expect((await character(id)).images.every((i) => i.caption.startsWith('A portrait photo, 320 by 400 pixels'))).toBe(true);

    const bad = await cli('--style', 'long');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("Parameter 'style' must be one of ['short', 'detailed']");
  });
});
