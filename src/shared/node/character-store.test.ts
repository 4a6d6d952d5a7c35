import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import { tempDir } from '../../../tests/helpers/test-config.js';
import { CharacterStore } from './character-store.js';
import { redisLock } from './redis-lock.js';
import { VolumePaths } from './volume.js';

const testRedis = useTestRedis();

describe('CharacterStore.mutate', () => {
  it('two API processes editing one character at once lose nothing (Redis lock)', async () => {
    const paths = new VolumePaths(tempDir());
    // Two stores = two processes: separate in-process queues, one volume, one Redis.
    const a = new CharacterStore(paths, redisLock(testRedis.redis));
    const b = new CharacterStore(paths, redisLock(testRedis.redis));
    await a.save({ id: 'char-00000000000a', name: 'A', trigger_word: 'aa', created_at: new Date().toISOString(), images: [] });
    const add = (store: CharacterStore, n: number) =>
      store.mutate('char-00000000000a', async (c) => {
        await new Promise((r) => setTimeout(r, 1)); // a real edit awaits disk in between
        return { ...c, images: [...c.images, { name: `img-${String(n).padStart(12, '0')}.png`, width: 300, height: 300, caption: 'aa' }] };
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => add(i % 2 ? a : b, i)));
    expect((await a.require('char-00000000000a')).images).toHaveLength(40);
  });

  it('without the cross-process lock the same race loses edits (what the lock is for)', async () => {
    const paths = new VolumePaths(tempDir());
    const a = new CharacterStore(paths);
    const b = new CharacterStore(paths);
    await a.save({ id: 'char-00000000000b', name: 'B', trigger_word: 'bb', created_at: new Date().toISOString(), images: [] });
    const add = (store: CharacterStore, n: number) =>
      store.mutate('char-00000000000b', async (c) => {
        await new Promise((r) => setTimeout(r, 1));
        return { ...c, images: [...c.images, { name: `img-${String(n).padStart(12, '0')}.png`, width: 300, height: 300, caption: 'bb' }] };
      });
    await Promise.all(Array.from({ length: 40 }, (_, i) => add(i % 2 ? a : b, i)));
    expect((await a.require('char-00000000000b')).images.length).toBeLessThan(40);
  });

  it('writes nothing for an edit that changes nothing, and still writes an edit made in place', async () => {
    const paths = new VolumePaths(tempDir());
    const store = new CharacterStore(paths);
    const id = 'char-00000000000c';
    await store.save({ id, name: 'C', trigger_word: 'cc', created_at: new Date().toISOString(), images: [] });
    const file = path.join(paths.characterDir(id), 'character.json');
    // The same record written compactly: a write by the store would pretty-print it.
    const compact = JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8')));
    fs.writeFileSync(file, compact);
    await store.mutate(id, (c) => ({ ...c }));
    await store.mutate(id, (c) => c);
    expect(fs.readFileSync(file, 'utf8')).toBe(compact);
    await store.mutate(id, (c) => {
      c.name = 'C2';
      return c;
    });
    expect(fs.readFileSync(file, 'utf8')).not.toBe(compact);
    expect((await store.require(id)).name).toBe('C2');
  });
});
