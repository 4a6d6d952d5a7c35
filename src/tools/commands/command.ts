/** What every CLI command is and receives. */
import type { Flags, OptionName } from '../args.js';
import type { Connection, IsengardClient } from '../client.js';
import type { Output } from '../output.js';

export interface CommandContext {
  conn: Connection;
  client: IsengardClient;
  out: Output;
  flags: Flags;
  /** Positionals after the command's own words. */
  args: string[];
  /** Fires on Ctrl-C, so a wait can unsubscribe before the process exits. */
  signal: AbortSignal;
}

export interface Command {
  /** Words that select it: `characters create`. */
  path: string;
  /** Positional synopsis: `<name> <trigger_word>`. */
  synopsis: string;
  summary: string;
  details?: string[];
  options?: OptionName[];
  minArgs: number;
  maxArgs: number;
  /** Resolves with the exit code. */
  run(ctx: CommandContext): Promise<number>;
}
