/**
 * Purging a person through API → worker (mock backends): the preview lists counts and bytes, the
 * purge is a job with a log that cancels the person's running training first, and afterwards no
 * file of theirs is left under VOLUME_ROOT: none named by their ids, none with a photo's content
 * hash, no prompt in any job log or in the job archive (the person's finished jobs were pruned into
 * it first). Another character's files and archived records are untouched. Redis runs with an
 * append-only file, like start.sh's, and the purge asks it to rewrite that file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import type { Lora } from '../../src/shared/characters.js';
import type { PurgePreview } from '../../src/shared/node/character-purge.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages, pngOf, readLogLines, upload } from '../helpers/fixtures.js';

let stack: Stack;
const PROMPT = 'purge_person riding a red bicycle past the harbour';

beforeAll(async () => {
  stack = await startStack({ workers: 1, aof: true, env: { MOCK_STEP_MS: '2' } });
}, 60_000);
afterAll(async () => stack?.stop());

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('purge a person', () => {
  it('previews, cancels their running job, then leaves no file of theirs under VOLUME_ROOT', async () => {
    const victim = await characterWithImages(stack, 2, 'purge_person');
    // Another person, with photos of their own (characterWithImages would reuse the same pixels).
    const { body: otherChar } = await stack.call<{ id: string }>('characters.create', { name: 'Kept', trigger_word: 'keep_person' });
    const other = otherChar.id;
    expect((await upload(stack.url, other, [{ name: 'k.png', data: await pngOf(330, 410, 9) }])).body.uploaded).toHaveLength(1);
    const photoHashes = new Set(walk(path.join(stack.volume, 'characters', victim, 'images')).filter((f) => !f.endsWith('.txt')).map(sha));
    expect(photoHashes.size).toBe(2);

    const { body: trained } = await stack.call<JobRecord>('training.start', { character_id: victim, config: { steps: 200 }, sample_prompts: ['purge_person at a desk'] });
    const done = await stack.waitFor(trained.id, undefined, 60_000);
    expect(done.status, done.error).toBe('completed');
    const { body: fromCkpt } = await stack.call<Lora>('loras.fromCheckpoint', { job_id: trained.id, step: 100 });
    const { body: gen } = await stack.call<JobRecord>('generation.start', { config: { prompt: PROMPT, width: 512, height: 512, steps: 2 }, lora_id: done.result_lora_id });
    expect((await stack.waitFor(gen.id)).status).toBe('completed');
    const { body: kept } = await stack.call<JobRecord>('training.start', { character_id: other, config: { steps: 100 } });
    expect((await stack.waitFor(kept.id, undefined, 60_000)).status).toBe('completed');
    // Retention moves every finished job (the person's and the other's) into the archive.
    const { status: pruned, body: prune } = await stack.call<{ archived: number }>('jobs.prune', { older_than_days: 0 }, { method: 'POST' });
    expect(pruned).toBe(200);
    expect(prune.archived).toBeGreaterThanOrEqual(3);
    const archiveDir = path.join(stack.volume, 'archive', 'jobs');
    const archiveText = () => walk(archiveDir).map((f) => fs.readFileSync(f, 'utf8')).join('');
    expect(archiveText()).toContain(PROMPT);
    const { body: running } = await stack.call<JobRecord>('training.start', { character_id: victim, config: { steps: 10000 } });
    await stack.waitFor(running.id, (r) => (r.current_step ?? 0) > 5, 30_000);

    const { status, body: preview } = await stack.call<PurgePreview>('characters.purgePreview', { id: victim });
    expect(status).toBe(200);
    expect(preview.photos).toMatchObject({ count: 2 });
    expect(preview.photos.bytes).toBeGreaterThan(0);
    expect(preview.loras.count).toBe(2);
    expect(preview.checkpoints.count).toBeGreaterThan(0);
    expect(preview.generated_images.count).toBe(1);
    expect(preview.active_jobs).toEqual([running.id]);
    expect(preview.total_bytes).toBeGreaterThan(preview.photos.bytes);

    const { status: started, body: purge } = await stack.call<JobRecord>('characters.purge', { id: victim });
    expect(started).toBe(200);
    expect(purge.type).toBe('purge');
    const finished = await stack.waitFor(purge.id, undefined, 60_000);
    expect(finished.status, finished.error).toBe('completed');
    expect((await stack.call<JobRecord>('training.get', { id: running.id })).body.status).toBe('cancelled');
    const purgeLog = (await readLogLines(stack.url, purge.id)).map((l) => l.event);
    expect(purgeLog).toEqual(expect.arrayContaining(['job.start', 'purge.cancel', 'purge.deleted', 'purge.logs', 'purge.archive', 'purge.aof_rewrite', 'job.complete']));

    const ids = [victim, done.result_lora_id!, fromCkpt.id];
    const files = walk(stack.volume);
    for (const f of files) {
      for (const id of ids) expect(f, `a file named by ${id}`).not.toContain(id);
      if (!f.endsWith('.jsonl')) expect(photoHashes.has(sha(f)), `${f} holds a photo`).toBe(false);
      expect(fs.readFileSync(f).includes(PROMPT), `${f} holds the prompt`).toBe(false);
      expect(fs.readFileSync(f).includes('purge_person at a desk'), `${f} holds a sample prompt`).toBe(false);
    }
    for (const id of [trained.id, running.id]) expect(fs.existsSync(path.join(stack.volume, 'training', id))).toBe(false);
    for (const id of [trained.id, gen.id, running.id]) expect(fs.existsSync(path.join(stack.volume, 'outputs', id))).toBe(false);
    const log = await readLogLines(stack.url, gen.id);
    expect(log.length).toBeGreaterThan(0);
    for (const line of log) expect(Object.keys(line).sort()).toEqual(expect.arrayContaining(['event', 'job_id']));
    for (const line of log) expect(line).not.toHaveProperty('fields');
    expect((await stack.call('characters.get', { id: victim })).status).toBe(404);

    // The other person is untouched.
    expect(fs.existsSync(path.join(stack.volume, 'characters', other))).toBe(true);
    expect(fs.existsSync(path.join(stack.volume, 'outputs', kept.id))).toBe(true);
    const archived = archiveText().trim().split('\n').map((l) => JSON.parse(l) as JobRecord);
    const keptRecord = archived.find((r) => r.id === kept.id);
    expect(keptRecord).toMatchObject({ character_id: other, status: 'completed', config: { steps: 100 } });
    expect(keptRecord).not.toHaveProperty('purged_at');
    const scrubbedGen = archived.find((r) => r.id === gen.id);
    expect(scrubbedGen).toMatchObject({ status: 'completed', config: {}, outputs: [] });
    expect(scrubbedGen?.purged_at).toBeTruthy();
  }, 120_000);
});
