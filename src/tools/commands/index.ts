/** The command table, how argv words select a command, and the help texts built from it. */
import { GLOBAL_OPTIONS, optionHelp } from '../args.js';
import { captionsCommand } from './captions.js';
import { characterCommands } from './characters.js';
import type { Command } from './command.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommands } from './evaluate.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { jobCommands } from './jobs.js';
import { loraCommands } from './loras.js';
import { trainCommands } from './train.js';

export const COMMANDS: readonly Command[] = [infoCommand, doctorCommand, ...characterCommands, captionsCommand, ...trainCommands, ...evaluateCommands, generateCommand, ...jobCommands, ...loraCommands];

export type Resolved =
  | { kind: 'command'; command: Command; args: string[] }
  | { kind: 'group'; group: string; commands: Command[] }
  | { kind: 'unknown'; word: string }
  | { kind: 'none' };

/** Two-word commands (`jobs show`) first, then one-word ones; a bare group word lists its members. */
export function resolve(positionals: readonly string[]): Resolved {
  const [first, second] = positionals;
  if (first === undefined) return { kind: 'none' };
  const pair = COMMANDS.find((c) => c.path === `${first} ${second ?? ''}`);
  if (pair) return { kind: 'command', command: pair, args: positionals.slice(2) };
  const single = COMMANDS.find((c) => c.path === first);
  if (single) return { kind: 'command', command: single, args: positionals.slice(1) };
  const members = COMMANDS.filter((c) => c.path.startsWith(`${first} `));
  if (members.length) return second === undefined ? { kind: 'group', group: first, commands: members } : { kind: 'unknown', word: `${first} ${second}` };
  return { kind: 'unknown', word: first };
}

const usageLine = (c: Command) => `isengard ${c.path}${c.synopsis ? ` ${c.synopsis}` : ''}`;
const listing = (commands: readonly Command[]) => {
  const width = Math.max(...commands.map((c) => usageLine(c).length)) - 'isengard '.length;
  return commands.map((c) => `  ${usageLine(c).slice('isengard '.length).padEnd(width)}  ${c.summary}`);
};

export const EXIT_CODES_HELP = 'Exit codes: 0 ok · 1 job failed or cancelled (doctor: a check failed) · 2 bad usage or input (including a server 400) · 3 server unreachable · 130 interrupted (the job keeps running)';

export function mainHelp(): string[] {
  return [
    'isengard: train FLUX LoRAs of a character and generate images, from the command line',
    '',
    'Usage: isengard <command> [options]',
    '',
    'Commands:',
    ...listing(COMMANDS),
    '',
    'Global options (every command):',
    ...optionHelp(GLOBAL_OPTIONS),
    '  --no-wait (train, generate, evaluate) return once the job is queued',
    '',
    EXIT_CODES_HELP,
    'Run `isengard <command> --help` for its options.',
  ];
}

export function groupHelp(group: string, commands: readonly Command[]): string[] {
  return [`Usage: isengard ${group} <${commands.map((c) => c.path.split(' ')[1]).join('|')}> [options]`, '', ...listing(commands), '', 'Run `isengard ' + group + ' <subcommand> --help` for its options.'];
}

export function commandHelp(c: Command): string[] {
  return [
    `Usage: ${usageLine(c)} [options]`,
    '',
    c.summary,
    ...(c.details ?? []),
    '',
    'Options:',
    ...optionHelp([...(c.options ?? []), ...GLOBAL_OPTIONS]),
    '',
    EXIT_CODES_HELP,
  ];
}
