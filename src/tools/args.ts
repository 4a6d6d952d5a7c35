/**
 * Argument parsing for the CLI. One option table for every command (node:util parseArgs), then
 * each command states which options it accepts, so a misplaced flag is a usage error, not ignored.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './cli-errors.js';

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  value?: string;
  help: string;
}

export const OPTIONS = {
  url: { type: 'string', value: 'url', help: 'API server (env ISENGARD_URL, default http://127.0.0.1:8000)' },
  token: { type: 'string', value: 'token', help: 'API token (env ISENGARD_API_TOKEN)' },
  json: { type: 'boolean', help: 'print one JSON document on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show help for the command' },
  'no-wait': { type: 'boolean', help: 'return once the job is queued instead of following it' },
  preset: { type: 'string', value: 'quick|balanced|quality', help: 'start from a training preset' },
  param: { type: 'string', multiple: true, value: 'key=value', help: 'set a parameter (repeatable); typed by /api/info' },
  lora: { type: 'string', value: 'lora_id', help: 'generate with this LoRA' },
  upscale: { type: 'boolean', help: '2x upscale the images' },
  count: { type: 'string', value: 'n', help: 'number of images (1-4)' },
  follow: { type: 'boolean', short: 'f', help: 'keep streaming until the job is finished' },
  out: { type: 'string', short: 'o', value: 'file', help: 'write the raw JSONL log to a file' },
  type: { type: 'string', value: 'training|generation', help: 'only jobs of this type' },
  status: { type: 'string', value: 'status', help: 'only jobs with this status' },
  limit: { type: 'string', value: 'n', help: 'at most n items (1-100)' },
  steps: { type: 'string', value: 'n', help: 'train continue: how many more steps to train; evaluate: sampler steps per image' },
  width: { type: 'string', value: 'px', help: 'image width (evaluate; default the image manifest default)' },
  height: { type: 'string', value: 'px', help: 'image height (evaluate; default the image manifest default)' },
  'sample-prompt': { type: 'string', multiple: true, value: 'text', help: 'a sample prompt (repeatable, up to 4)' },
  yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
  'older-than': { type: 'string', value: 'age', help: 'finished jobs created longer ago than this, e.g. 90d (days)' },
  strength: { type: 'string', value: 'a,b,…', help: 'LoRA strengths, comma-separated (default 0.6,0.8,1.0,1.2)' },
  prompt: { type: 'string', multiple: true, value: 'text', help: 'a prompt (repeatable, up to 4)' },
  checkpoints: { type: 'string', value: 'all|steps', help: "'all' or comma-separated checkpoint steps, e.g. 500,1000" },
  seed: { type: 'string', value: 'n', help: 'seed of the first prompt (prompt i uses seed + i)' },
  find: { type: 'string', value: 'text', help: 'the text to look for (literal, not a pattern)' },
  replace: { type: 'string', value: 'text', help: 'the text to put in its place ("" deletes it)' },
  'match-case': { type: 'boolean', help: 'find only text in the same case' },
  'whole-word': { type: 'boolean', help: 'find only whole words' },
  all: { type: 'boolean', help: 'all of them (characters caption: every photo, overwriting; captions accept: every machine caption)' },
  style: { type: 'string', value: 'short|detailed', help: 'caption length (default short)' },
  'no-trigger': { type: 'boolean', help: 'do not start captions with the trigger word' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
export const GLOBAL_OPTIONS: readonly OptionName[] = ['url', 'token', 'json', 'help'];

export interface Flags {
  url?: string;
  token?: string;
  json?: boolean;
  help?: boolean;
  'no-wait'?: boolean;
  preset?: string;
  param?: string[];
  lora?: string;
  upscale?: boolean;
  count?: string;
  follow?: boolean;
  out?: string;
  type?: string;
  status?: string;
  limit?: string;
  steps?: string;
  width?: string;
  height?: string;
  'sample-prompt'?: string[];
  yes?: boolean;
  'older-than'?: string;
  strength?: string;
  prompt?: string[];
  checkpoints?: string;
  seed?: string;
  find?: string;
  replace?: string;
  'match-case'?: boolean;
  'whole-word'?: boolean;
  all?: boolean;
  style?: string;
  'no-trigger'?: boolean;
}

export interface ParsedArgs {
  flags: Flags;
  positionals: string[];
}

export function parseArgv(argv: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
    return { flags: values as Flags, positionals };
  } catch (err) {
    // parseArgs' own messages are already about the offending flag; they just lack our prefix.
    throw new UsageError((err as Error).message);
  }
}

/** Rejects flags the command does not take (after parsing, so `--url x` still consumed its value). */
export function checkAllowed(flags: Flags, allowed: readonly OptionName[], command: string): void {
  for (const key of Object.keys(flags) as OptionName[]) {
    if (flags[key] !== undefined && !GLOBAL_OPTIONS.includes(key) && !allowed.includes(key)) {
      throw new UsageError(`Option '--${key}' is not accepted by '${command}'`);
    }
  }
}

export function optionHelp(names: readonly OptionName[]): string[] {
  return names.map((name) => {
    const spec: OptionSpec = OPTIONS[name];
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` <${spec.value}>` : ''}`;
    return `  ${flag.padEnd(34)} ${spec.help}`;
  });
}

/** `--count 2` → 2. */
export function intFlag(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  // Non-numeric text is passed on as-is so the server answers with its own sentence.
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}
