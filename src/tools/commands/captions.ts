/** `isengard characters captions list|replace|trigger|accept`: the bulk caption tools (issue #18). */
import type { CaptionSource, Character } from '../../shared/characters.js';
import { captionSourceOf } from '../../shared/captions.js';
import { EXIT, UsageError } from '../cli-errors.js';
import { table } from '../output.js';
import type { Command, CommandContext } from './command.js';

const ACTIONS = ['list', 'replace', 'trigger', 'accept'] as const;
type Action = (typeof ACTIONS)[number];

export function sourceLabel(source: CaptionSource | null): string {
  if (!source) return '-';
  if (source.kind === 'user') return 'you';
  return `${source.model} ${source.version}${source.accepted ? ' (accepted)' : ' (unreviewed)'}`;
}

/** One line per caption, newlines shown as ⏎ so a row stays a row. */
const oneLine = (caption: string) => caption.replace(/\r?\n/g, ' ⏎ ');

function listLines(character: Character): string[] {
  if (character.images.length === 0) return [`${character.id} has no images yet`];
  return table(
    character.images.map((i) => ({ image: i.name, source: sourceLabel(captionSourceOf(i)), caption: oneLine(i.caption) })),
    ['image', 'source', 'caption'],
  );
}

async function run(ctx: CommandContext): Promise<number> {
  const { client, out, flags, args } = ctx;
  const [action, id, ...rest] = args as [string, string, ...string[]];
  if (!ACTIONS.includes(action as Action)) throw new UsageError(`Unknown captions action '${action}': use one of ${ACTIONS.join(', ')}`);
  const refuse = (option: string) => {
    throw new UsageError(`Option '--${option}' is not accepted by 'characters captions ${action}'`);
  };
  if (action !== 'replace') for (const o of ['find', 'replace', 'match-case', 'whole-word'] as const) if (flags[o] !== undefined) refuse(o);
  if (action !== 'accept' && flags.all !== undefined) refuse('all');

  if (action === 'list') {
    if (rest.length) throw new UsageError(`'characters captions list' takes only the character id`);
    const character = await client.characters.get.query({ id });
    out.result(character.images.map((i) => ({ ...i, caption_source: captionSourceOf(i) })), () => listLines(character));
    return EXIT.ok;
  }

  let result: { changed: number; images: string[]; character: Character };
  if (action === 'replace') {
    if (rest.length) throw new UsageError(`'characters captions replace' takes only the character id; give the texts with --find and --replace`);
    if (flags.find === undefined) throw new UsageError("Option '--find' is required: the text to look for");
    if (flags.replace === undefined) throw new UsageError("Option '--replace' is required: the text to put in its place (may be \"\")");
    result = await client.characters.captions.replace.mutate({
      id,
      find: flags.find,
      replace: flags.replace,
      match_case: flags['match-case'] ?? false,
      whole_word: flags['whole-word'] ?? false,
    });
  } else if (action === 'trigger') {
    const [what, ...more] = rest;
    if ((what !== 'add' && what !== 'remove') || more.length) throw new UsageError("Usage: isengard characters captions trigger <character_id> add|remove");
    result = await client.characters.captions.trigger.mutate({ id, action: what });
  } else {
    if (flags.all ? rest.length > 0 : rest.length === 0) throw new UsageError('Give the images to accept, or --all for every machine caption (not both)');
    result = await client.characters.captions.accept.mutate({ id, images: flags.all ? 'all_machine' : rest });
  }
  out.result(result, () => [
    `${result.changed} caption${result.changed === 1 ? '' : 's'} changed${result.images.length ? `: ${result.images.join(', ')}` : ''}`,
    ...(result.changed ? ['', ...listLines(result.character)] : []),
  ]);
  return EXIT.ok;
}

export const captionsCommand: Command = {
  path: 'characters captions',
  synopsis: '<list|replace|trigger|accept> <character_id> [add|remove] [images…]',
  summary: "Show a character's captions and their sources; edit them in bulk",
  details: [
    '  list <id>                               every caption with its source (you, or the caption model)',
    '  replace <id> --find X --replace Y       literal text in every caption; changed captions become yours',
    '          [--match-case] [--whole-word]',
    '  trigger <id> add|remove                 the trigger word as a prefix where missing, or out of every caption',
    '  accept <id> <image…> | --all            accept machine captions (they stay marked as the model\'s)',
  ],
  options: ['find', 'replace', 'match-case', 'whole-word', 'all'],
  minArgs: 2,
  maxArgs: Infinity,
  run,
};
