/** `isengard characters captions list|replace|trigger|accept`, spawned as a user runs it, against a real API (no worker needed). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptionSource, Character } from '../../src/shared/characters.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { runCli } from './cli-harness.js';

let stack: Stack;
let id: string;
let images: string[];
const cli = (...args: string[]) => runCli([...args, '--url', stack.url]);
const json = <T>(stdout: string) => JSON.parse(stdout) as T;
const florence: CaptionSource = { kind: 'model', model: 'microsoft/Florence-2-large', version: 'rev-1' };
const get = async () => (await stack.call<Character>('characters.get', { id })).body;

beforeAll(async () => {
  stack = await startStack();
  id = await characterWithImages(stack, 3, 'cli_cap');
  // Two machine captions (as a caption job leaves them) and one of the user's.
  const store = stack.api.infra.characters;
  const character = await store.mutate(id, async (c) => {
    const captions = ['a woman in a red dress', 'cli_cap, red hat outdoors', 'my own red words'];
    const next = c.images.map((image, i) => ({ ...image, caption: captions[i]!, ...(i < 2 ? { caption_source: florence } : {}) }));
    for (const image of next) await store.writeCaption(id, image.name, image.caption);
    return { ...c, images: next };
  });
  images = character.images.map((i) => i.name);
}, 60_000);
afterAll(async () => stack?.stop());

describe('CLI: characters captions', () => {
  it('list shows each caption with its source; usage errors exit 2 with a sentence', async () => {
    const [listed, asJson, noFind, badAction, wrongFlag, noImages] = await Promise.all([
      cli('characters', 'captions', 'list', id),
      cli('characters', 'captions', 'list', id, '--json'),
      cli('characters', 'captions', 'replace', id, '--replace', 'x'),
      cli('characters', 'captions', 'rename', id),
      cli('characters', 'captions', 'trigger', id, 'add', '--all'),
      cli('characters', 'captions', 'accept', id),
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+SOURCE\s+CAPTION$/);
    expect(lines[1]).toMatch(new RegExp(`^${images[0]}\\s+microsoft/Florence-2-large rev-1 \\(unreviewed\\)\\s+a woman in a red dress$`));
    expect(lines[3]).toMatch(new RegExp(`^${images[2]}\\s+you\\s+my own red words$`));
    expect(json<{ name: string; caption_source: CaptionSource }[]>(asJson.stdout).map((i) => i.caption_source)).toEqual([florence, florence, { kind: 'user' }]);
    expect([noFind.code, noFind.stderr.trim()]).toEqual([2, "Option '--find' is required: the text to look for"]);
    expect([badAction.code, badAction.stderr.trim()]).toEqual([2, "Unknown captions action 'rename': use one of list, replace, trigger, accept"]);
    expect([wrongFlag.code, wrongFlag.stderr.trim()]).toEqual([2, "Option '--all' is not accepted by 'characters captions trigger'"]);
    expect(noImages.code).toBe(2);
  }, 60_000);

  it('replace, trigger add/remove and accept change the captions on the server and say how many', async () => {
    const replaced = await cli('characters', 'captions', 'replace', id, '--find', 'RED', '--replace', 'blue', '--json');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(json<{ changed: number }>(replaced.stdout).changed).toBe(3);
    expect((await get()).images.map((i) => [i.caption, i.caption_source?.kind])).toEqual([
      ['a woman in a blue dress', 'user'],
      ['cli_cap, blue hat outdoors', 'user'],
      ['my own blue words', 'user'],
    ]);
    const cased = await cli('characters', 'captions', 'replace', id, '--find', 'Blue', '--replace', 'x', '--match-case');
    expect([cased.code, cased.stdout.trim()]).toEqual([0, '0 captions changed']);

    const added = await cli('characters', 'captions', 'trigger', id, 'add');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain(`2 captions changed: ${images[0]}, ${images[2]}`);
    expect((await get()).images.every((i) => i.caption.startsWith('cli_cap, '))).toBe(true);
    const removed = await cli('characters', 'captions', 'trigger', id, 'remove', '--json');
    expect(json<{ changed: number }>(removed.stdout).changed).toBe(3);
    expect((await get()).images.map((i) => i.caption)).toEqual(['a woman in a blue dress', 'blue hat outdoors', 'my own blue words']);

    // Machine captions again, then accept one by name and the rest with --all.
    await stack.api.infra.characters.mutate(id, (c) => ({ ...c, images: c.images.map((i) => ({ ...i, caption_source: florence })) }));
    const one = await cli('characters', 'captions', 'accept', id, images[1]!);
    expect([one.code, one.stdout.split('\n')[0]]).toEqual([0, `1 caption changed: ${images[1]}`]);
    const all = await cli('characters', 'captions', 'accept', id, '--all', '--json');
    expect(json<{ images: string[] }>(all.stdout).images).toEqual([images[0], images[2]]);
    expect((await get()).images.every((i) => i.caption_source?.kind === 'model' && i.caption_source.accepted === true)).toBe(true);
    const missing = await cli('characters', 'captions', 'accept', id, 'img-000000000000.png');
    expect([missing.code, missing.stderr.trim()]).toEqual([2, `Image 'img-000000000000.png' not found in character '${id}'`]);
  }, 90_000);
});
