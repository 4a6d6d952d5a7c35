/** `isengard characters list|create|upload|caption|purge`. */
import { createInterface } from 'node:readline';
import { purgePreviewLines } from '../../shared/purge-preview.js';
import { uploadImages } from '../client.js';
import { EXIT } from '../cli-errors.js';
import { table } from '../output.js';
import type { Command } from './command.js';
import { finishStartedJob } from './job-view.js';

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

const caption: Command = {
  path: 'characters caption',
  synopsis: '<character_id> [--all] [--style short|detailed] [--no-trigger]',
  summary: 'Caption the photos with the caption model (only those without a caption, unless --all)',
  details: [
    'Without --all, only photos whose caption is empty (or just the trigger word an upload sets) are captioned:',
    'a caption typed by hand, or one the model wrote before, stays. --all overwrites every caption.',
    'Each caption starts with the trigger word unless --no-trigger. Follows the job with progress.',
  ],
  options: ['all', 'style', 'no-trigger', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const id = ctx.args[0]!;
    const { job_id } = await ctx.client.characters.caption.mutate({
      id,
      mode: ctx.flags.all ? 'all' : 'missing',
      // Anything but the manifest's options is passed on so the server answers with its own sentence.
      ...(ctx.flags.style !== undefined ? { style: ctx.flags.style as 'short' } : {}),
      trigger: ctx.flags['no-trigger'] ? 'none' : 'prefix',
    });
    return finishStartedJob(ctx, await ctx.client.jobs.get.query({ id: job_id }));
  },
};

const purge: Command = {
  path: 'characters purge',
  synopsis: '<character_id> [--yes]',
  summary: 'Delete a person and everything made from their photos (asks first)',
  details: [
    'Lists what will go (photos, captions, snapshots, LoRAs, checkpoints, samples, generated images;',
    'job logs are rewritten to ids and events), then asks for "yes" on stdin unless --yes is given.',
    'Running jobs for the person are cancelled first. Exit 1 when not confirmed (nothing deleted).',
  ],
  options: ['yes', 'no-wait'],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const id = ctx.args[0]!;
    const preview = await ctx.client.characters.purgePreview.query({ id });
    const lines = [`Purging ${preview.character_name ?? id} (${id}) deletes:`, ...purgePreviewLines(preview).map((l) => `  ${l}`)];
    for (const line of lines) ctx.out.note(line);
    if (!ctx.flags.yes && !(await confirm('Type "yes" to purge everything listed above: ', ctx.signal))) {
      ctx.out.note('Not confirmed; nothing was deleted');
      return EXIT.jobFailed;
    }
    const job = await ctx.client.characters.purge.mutate({ id });
    return finishStartedJob(ctx, job);
  },
};

/** One line from stdin (a terminal or a pipe); true only for "yes" or "y". End of input is a no. */
function confirm(question: string, signal: AbortSignal): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY === true });
  return new Promise<boolean>((resolve) => {
    const done = (answer: string) => {
      signal.removeEventListener('abort', onAbort);
      rl.close();
      resolve(/^(y|yes)$/i.test(answer.trim()));
    };
    const onAbort = () => done('');
    signal.addEventListener('abort', onAbort, { once: true });
    rl.once('line', done);
    rl.once('close', () => done(''));
    rl.setPrompt(question);
    rl.prompt();
  });
}

export const characterCommands = [list, create, upload, caption, purge];
