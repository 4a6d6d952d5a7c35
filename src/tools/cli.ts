/**
 * `isengard` entry point: parse argv, pick the command, run it against the typed client, map
 * whatever happens onto an exit code (0 ok, 1 job failed, 2 bad usage/input, 3 unreachable).
 */
import { checkAllowed, parseArgv, type Flags } from './args.js';
import { createIsengardClient, type Connection } from './client.js';
import { describeError, EXIT, UsageError } from './cli-errors.js';
import { commandHelp, groupHelp, mainHelp, resolve } from './commands/index.js';
import { flushOutput, Output } from './output.js';

const DEFAULT_URL = 'http://127.0.0.1:8000';

function connection(flags: Flags): Connection {
  const url = flags.url ?? (process.env.ISENGARD_URL || DEFAULT_URL);
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--url must be an http(s) URL, got '${url}'`);
  const token = flags.token ?? (process.env.ISENGARD_API_TOKEN || undefined);
  return { url: url.replace(/\/+$/, ''), ...(token ? { token } : {}) };
}

/** Asked-for help is output (stdout, exit 0); help shown for an incomplete command is a usage error. */
function help(out: Output, lines: string[], flags: Flags): number {
  if (flags.help) out.text(lines);
  else out.note(lines.join('\n'));
  return flags.help ? EXIT.ok : EXIT.usage;
}

async function runCli(argv: readonly string[], signal: AbortSignal): Promise<number> {
  let url = DEFAULT_URL;
  // Plain until argv is parsed: a parse error cannot know whether --json was meant.
  let out = new Output(false);
  try {
    const { flags, positionals } = parseArgv(argv);
    out = new Output(flags.json === true);
    const found = resolve(positionals);
    if (found.kind === 'none') return help(out, mainHelp(), flags);
    if (found.kind === 'unknown') throw new UsageError(`Unknown command '${found.word}'; run 'isengard --help' for the list`);
    if (found.kind === 'group') return help(out, groupHelp(found.group, found.commands), flags);
    const { command, args } = found;
    if (flags.help) {
      out.text(commandHelp(command));
      return EXIT.ok;
    }
    checkAllowed(flags, command.options ?? [], command.path);
    if (args.length < command.minArgs || args.length > command.maxArgs) {
      throw new UsageError(`Usage: isengard ${command.path} ${command.synopsis}`.trimEnd());
    }
    const conn = connection(flags);
    url = conn.url;
    const client = createIsengardClient(conn);
    return await command.run({ conn, client, out, flags, args, signal });
  } catch (err) {
    const described = describeError(err, url);
    out.error(described);
    return described.code;
  }
}

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(Object.assign(new Error('Interrupted'), { name: 'AbortError' })));
const code = await runCli(process.argv.slice(2), controller.signal);
await flushOutput();
// Lingering keep-alive sockets or an SSE reconnect timer must not hold the exit.
process.exit(code);
