/**
 * Links placed in the shared volume must not lead out of it: a character image, a job output and
 * a job log that are symlinks to a file outside VOLUME_ROOT answer 404 (not the file), and a
 * training snapshot refuses to copy such an image. A link that stays inside the volume is fine.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, volumeSandbox } from './support.js';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let character: string;
let image: string;
let secretFile: string;
const JOB = 'generation-0123456789ab';

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-links-');
  secretFile = path.join(sandbox.sentinel, 'secret.txt');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
  character = (await stack.api.services.characters.create({ name: 'Links', trigger_word: 'links_person' })).id;
  const up = await rawRequest(stack.url, {
    method: 'POST',
    path: `/api/characters/${character}/images`,
    headers: { 'content-type': MULTIPART },
    body: multipart([{ filename: 'p.png', data: await pngOf(300, 300) }]),
  });
  image = (JSON.parse(up.text) as { uploaded: { name: string }[] }).uploaded[0]!.name;
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

const imagesDir = () => path.join(sandbox.volume, 'characters', character, 'images');

describe('symlinks out of VOLUME_ROOT', () => {
  it('a character image that links outside answers 404, never the file', async () => {
    const name = 'img-0000000000aa.png';
    fs.symlinkSync(secretFile, path.join(imagesDir(), name));
    for (const method of ['GET', 'HEAD']) {
      const res = await rawRequest(stack.url, { method, path: `/api/characters/${character}/images/${name}` });
      expect(res.status, method).toBe(404);
      expect(res.text.includes(sandbox.secret)).toBe(false);
    }
  });

  it('a link to /etc/passwd as a job output answers 404', async () => {
    const dir = path.join(sandbox.volume, 'outputs', JOB);
    fs.mkdirSync(dir, { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(dir, 'x.png'));
    const res = await rawRequest(stack.url, { path: `/api/jobs/${JOB}/files/x.png` });
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('root:');
  });

  it('a job log that is a link outside answers 404, for download, Range and follow alike', async () => {
    const logs = path.join(sandbox.volume, 'logs', 'jobs');
    fs.mkdirSync(logs, { recursive: true });
    fs.symlinkSync(secretFile, path.join(logs, `${JOB}.jsonl`));
    for (const [p, headers] of [[`/api/jobs/${JOB}/logs`, {}], [`/api/jobs/${JOB}/logs`, { range: 'bytes=0-5' }], [`/api/jobs/${JOB}/logs?follow=1`, {}]] as const) {
      const res = await rawRequest(stack.url, { path: p, headers, timeoutMs: 3000 });
      expect(res.status, p).toBe(404);
      expect(res.text.includes(sandbox.secret), p).toBe(false);
    }
  });

  it('a folder on the way that links outside is refused too', async () => {
    const job = 'generation-0123456789cd';
    fs.mkdirSync(path.join(sandbox.volume, 'outputs'), { recursive: true });
    fs.symlinkSync(sandbox.sentinel, path.join(sandbox.volume, 'outputs', job));
    const res = await rawRequest(stack.url, { path: `/api/jobs/${job}/files/secret.txt` });
    expect(res.status).toBe(404);
    expect(res.text.includes(sandbox.secret)).toBe(false);
  });

  it('a link that stays inside the volume still serves', async () => {
    const name = 'img-0000000000bb.png';
    fs.symlinkSync(path.join(imagesDir(), image), path.join(imagesDir(), name));
    const res = await rawRequest(stack.url, { path: `/api/characters/${character}/images/${name}` });
    expect([res.status, res.headers['content-type']]).toEqual([200, 'image/png']);
  });

  it('training refuses to snapshot an image that links outside, and leaves no half snapshot', async () => {
    const victim = path.join(imagesDir(), image);
    const original = fs.readFileSync(victim);
    fs.rmSync(victim);
    fs.symlinkSync(secretFile, victim);
    try {
      const res = await stack.call<{ message: string }>('training.start', { character_id: character, config: {} });
      expect(res.status).toBe(400);
      expect(res.body.message).toBe(`Parameter 'character_id': image '${image}' of character '${character}' is not a regular file inside the volume; delete it and upload it again`);
      const training = path.join(sandbox.volume, 'training');
      const copied = fs.existsSync(training) ? fs.readdirSync(training) : [];
      expect(copied).toEqual([]);
    } finally {
      fs.rmSync(victim);
      fs.writeFileSync(victim, original);
    }
    sandbox.assertNothingOutside();
  });
});
