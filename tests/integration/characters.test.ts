/** Characters and LoRAs over the API: CRUD, uploads, captions, and the delete guards. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Character, Lora } from '../../src/shared/characters.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf, upload } from '../helpers/fixtures.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { MOCK_STEP_MS: '20' } });
});
afterAll(async () => stack?.stop());

const create = async (name: string, trigger: string) => (await stack.call<Character>('characters.create', { name, trigger_word: trigger })).body;

describe('characters', () => {
  it('create, update, list, get; bad trigger words name the parameter', async () => {
    const c = await create('  Ada Lovelace ', 'ada_l');
    expect(c).toMatchObject({ name: 'Ada Lovelace', trigger_word: 'ada_l', images: [] });
    expect(c.id).toMatch(/^char-[0-9a-f]{12}$/);
    const bad = await stack.call<{ message: string }>('characters.create', { name: 'x', trigger_word: 'Ada L' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe("Parameter 'trigger_word' must be 2-32 lowercase letters, digits or underscores, starting with a letter");
    const updated = (await stack.call<Character>('characters.update', { id: c.id, description: 'mathematician' })).body;
    expect(updated.description).toBe('mathematician');
    expect((await stack.call<Character[]>('characters.list')).body.map((x) => x.id)).toContain(c.id);
    const onDisk = JSON.parse(fs.readFileSync(path.join(stack.volume, 'characters', c.id, 'character.json'), 'utf8')) as Character;
    expect(onDisk.description).toBe('mathematician');
  });

  it('uploads store generated names, echo the client name, default captions to the trigger word, and are editable', async () => {
    const c = await create('Bea', 'bea_p');
    const res = await upload(stack.url, c.id, [
      { name: '../../evil.png', data: await pngOf(300, 320) },
      { name: 'tiny.png', data: await pngOf(100, 100) },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.uploaded).toHaveLength(1);
    const stored = res.body.uploaded[0]!;
    expect(stored).toMatchObject({ width: 300, height: 320, caption: 'bea_p', filename: 'evil.png' }); // busboy keeps the base name only
    expect(stored.name).toMatch(/^img-[0-9a-f]{12}\.png$/);
    expect(res.body.rejected).toEqual([{ filename: 'tiny.png', reason: expect.stringContaining('too small') }]);
    const dir = path.join(stack.volume, 'characters', c.id, 'images');
    expect(fs.readdirSync(dir).sort()).toEqual([stored.name, stored.name.replace('.png', '.txt')].sort());
    expect(fs.readFileSync(path.join(dir, stored.name.replace('.png', '.txt')), 'utf8')).toBe('bea_p');

    const captioned = (await stack.call<Character>('characters.setCaption', { id: c.id, image: stored.name, caption: 'bea_p, smiling' })).body;
    expect(captioned.images[0]).toEqual({ name: stored.name, width: 300, height: 320, caption: 'bea_p, smiling', caption_source: { kind: 'user' } });
    expect(fs.readFileSync(path.join(dir, stored.name.replace('.png', '.txt')), 'utf8')).toBe('bea_p, smiling');
    const img = await fetch(`${stack.url}/api/characters/${c.id}/images/${stored.name}`);
    expect(img.headers.get('content-type')).toBe('image/png');

    const after = (await stack.call<Character>('characters.deleteImage', { id: c.id, image: stored.name })).body;
    expect(after.images).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses to delete a character while one of its trainings runs, allows it afterwards', async () => {
    const c = await create('Cy', 'cy_p');
    await upload(stack.url, c.id, [{ name: 'a.png', data: await pngOf(300, 300) }]);
    const job = (await stack.call<JobRecord>('training.start', { character_id: c.id, config: { steps: 100 } })).body;
    const refused = await stack.call<{ message: string }>('characters.delete', { id: c.id });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(job.id);
    await stack.call('training.cancel', { id: job.id });
    expect((await stack.call<{ deleted: boolean }>('characters.delete', { id: c.id })).body.deleted).toBe(true);
    expect((await stack.call('characters.get', { id: c.id })).status).toBe(404);
  });
});

describe('loras', () => {
  it('refuses to delete a LoRA a queued generation needs; deletes it once that job is gone', async () => {
    const loraId = 'lora-00000000abcd';
    const meta: Lora = { id: loraId, character_id: 'char-000000000001', job_id: 'training-000000000001', trigger_word: 'zz_p', steps: 100, lora_rank: 16, created_at: new Date().toISOString() };
    const file = path.join(stack.volume, 'staged.safetensors');
    fs.writeFileSync(file, Buffer.alloc(16));
    await stack.api.infra.loras.register(meta, file);
    expect((await stack.call<Lora>('loras.get', { id: loraId })).body).toMatchObject({ id: loraId, size: 16 });

    const gen = (await stack.call<JobRecord>('generation.start', { config: { prompt: 'zz_p' }, lora_id: loraId })).body;
    const refused = await stack.call<{ message: string }>('loras.delete', { id: loraId });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(gen.id);
    await stack.call('generation.cancel', { id: gen.id });
    expect((await stack.call<{ deleted: boolean }>('loras.delete', { id: loraId })).body.deleted).toBe(true);
    expect(fs.existsSync(path.join(stack.volume, 'loras', `${loraId}.safetensors`))).toBe(false);
    expect((await stack.call('loras.get', { id: loraId })).status).toBe(404);
  });

  it('refuses to delete a training\'s LoRA while a live evaluation of that training has yet to plan its final row', async () => {
    const loraId = 'lora-00000000beef';
    const trainingId = 'training-0000000000ee';
    const meta: Lora = { id: loraId, character_id: 'char-000000000001', job_id: trainingId, trigger_word: 'zz_p', steps: 100, lora_rank: 16, created_at: new Date().toISOString() };
    const file = path.join(stack.volume, 'staged-live.safetensors');
    fs.writeFileSync(file, Buffer.alloc(16));
    await stack.api.infra.loras.register(meta, file);
    const evaluation: JobRecord = {
      id: 'evaluation-0000000000ee',
      type: 'evaluation',
      status: 'running',
      correlation_id: 'test-live-eval',
      config: {},
      training_id: trainingId,
      evaluation_rows: [{ step: 50, final: false, lora_id: 'lora-0000000000c5' }],
      created_at: new Date().toISOString(),
      progress: 10,
      outputs: [],
      attempts: 1,
      rev: 0,
    };
    await stack.api.infra.store.create(evaluation);
    const refused = await stack.call<{ message: string }>('loras.delete', { id: loraId });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(evaluation.id);
    await stack.api.infra.store.update(evaluation.id, (r) => ({ ...r, evaluation_rows: [...(r.evaluation_rows ?? []), { step: 100, final: true, lora_id: 'lora-0000000000c6' }] }));
    expect((await stack.call<{ deleted: boolean }>('loras.delete', { id: loraId })).body.deleted).toBe(true);
  });
});
