/** `isengard characters list|create|upload`. */
import { uploadImages } from '../client.js';
import { EXIT } from '../cli-errors.js';
import { table } from '../output.js';
import type { Command } from './command.js';

const list: Command = {
  path: 'characters list',
  synopsis: '',
  summary: 'List characters',
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out }) {
    const characters = await client.characters.list.query();
    out.result(characters, () =>
      characters.length === 0
        ? 'No characters yet: isengard characters create <name> <trigger_word>'
        : table(
            characters.map((c) => ({ id: c.id, name: c.name, trigger_word: c.trigger_word, images: c.images.length, created: c.created_at })),
            ['id', 'name', 'trigger_word', 'images', 'created'],
          ),
    );
    return EXIT.ok;
  },
};

const create: Command = {
  path: 'characters create',
  synopsis: '<name> <trigger_word>',
  summary: 'Create a character (trigger word: 2-32 lowercase letters, digits or _)',
  minArgs: 2,
  maxArgs: 2,
  async run({ client, out, args }) {
    const [name, trigger_word] = args as [string, string];
    const character = await client.characters.create.mutate({ name, trigger_word });
    out.result(character, () => [`${character.id}  ${character.name}  (${character.trigger_word})`, `  next: isengard characters upload ${character.id} <photos…>`]);
    return EXIT.ok;
  },
};

const upload: Command = {
  path: 'characters upload',
  synopsis: '<character_id> <files…>',
  summary: 'Upload photos (jpg/png/webp, short side ≥ 256 px) to a character',
  details: ['Exits 2 when any file was rejected; the accepted ones are kept.'],
  minArgs: 2,
  maxArgs: Infinity,
  async run({ conn, out, args }) {
    const [id, ...files] = args as [string, ...string[]];
    const result = await uploadImages(conn, id, files);
    out.result(result, () => result.uploaded.map((i) => `uploaded  ${i.name}  ${i.width}x${i.height}`));
    if (!out.json) for (const r of result.rejected) out.note(`rejected  ${r.filename}: ${r.reason}`);
    return result.rejected.length > 0 ? EXIT.usage : EXIT.ok;
  },
};

export const characterCommands = [list, create, upload];
