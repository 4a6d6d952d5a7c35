/**
 * Everything the CLI prints goes through here: results (human text or one JSON document on
 * stdout), notes and errors (stderr), and job progress (a redrawn bar on a TTY, sparse plain
 * lines otherwise, so piped logs stay readable).
 */
import type { JobRecord } from '../shared/jobs.js';
import { isRawLogLine, type JobLogLine } from '../shared/job-log.js';
import type { DescribedError } from './cli-errors.js';

type Stream = NodeJS.WriteStream;

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Rows as aligned columns; the header is the column keys in upper case. */
export function table(rows: readonly Record<string, string | number | undefined>[], columns: readonly string[]): string[] {
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)];
}

/** Remaining time: the worker's own estimate, else extrapolated from elapsed time and progress. */
function etaSeconds(r: JobRecord): number | undefined {
  if (r.eta_seconds !== undefined) return r.eta_seconds;
  if (!r.started_at || r.progress <= 0 || r.progress >= 1) return undefined;
  const elapsed = (Date.now() - Date.parse(r.started_at)) / 1000;
  return (elapsed * (1 - r.progress)) / r.progress;
}

function progressDetails(r: JobRecord): string {
  const parts = [`${String(Math.floor(r.progress * 100)).padStart(3)}%`];
  if (r.current_step !== undefined && r.total_steps !== undefined) parts.push(`step ${r.current_step}/${r.total_steps}`);
  if (r.loss !== undefined) parts.push(`loss ${r.loss.toFixed(4)}`);
  const eta = etaSeconds(r);
  if (eta !== undefined && r.status === 'running') parts.push(`ETA ${formatDuration(eta)}`);
  if (r.message) parts.push(r.message);
  return parts.join('  ');
}

export interface ProgressView {
  update(record: JobRecord): void;
  end(): void;
}

const BAR_WIDTH = 24;

export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: Stream = process.stdout,
    private readonly stderr: Stream = process.stderr,
  ) {}

  /** The command's result: the data as JSON, or the human rendering. */
  result(data: unknown, human: () => string | readonly string[]): void {
    if (this.json) return void this.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    const text = human();
    this.lines(this.stdout, typeof text === 'string' ? [text] : text);
  }

  /** Plain text on stdout regardless of --json (help). */
  text(lines: string | readonly string[]): void {
    this.lines(this.stdout, typeof lines === 'string' ? [lines] : lines);
  }

  note(message: string): void {
    this.stderr.write(`${message}\n`);
  }

  /** The server's sentence as-is on stderr; with --json also `{error, issues, exit_code}` on stdout. */
  error(err: DescribedError): void {
    this.lines(this.stderr, [err.message, ...err.more]);
    if (this.json) this.stdout.write(`${JSON.stringify({ error: err.message, issues: [err.message, ...err.more], exit_code: err.code }, null, 2)}\n`);
  }

  /** Job log lines: the raw record per line with --json (NDJSON, so --follow can stream), else readable text. */
  logLine(line: JobLogLine): void {
    if (this.json) return void this.stdout.write(`${JSON.stringify(line)}\n`);
    if (isRawLogLine(line)) return void this.stdout.write(`${line.raw}\n`);
    const time = line.ts.slice(11, 23);
    const event = line.event ? ` ${line.event}` : '';
    this.stdout.write(`${time} ${line.level.padEnd(7)} ${line.service.padEnd(6)}${event}  ${line.msg}\n`);
  }

  /** With --json nothing is drawn: stdout is reserved for the one document, stderr kept quiet. */
  progress(): ProgressView {
    if (this.json) return { update: () => undefined, end: () => undefined };
    return this.stderr.isTTY ? this.bar() : this.plainProgress();
  }

  private bar(): ProgressView {
    let drawn = false;
    return {
      update: (r) => {
        const filled = Math.round(Math.min(1, Math.max(0, r.progress)) * BAR_WIDTH);
        const bar = `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}`;
        const width = this.stderr.columns ?? 100;
        this.stderr.write(`\r\x1b[2K${`${r.id} ${r.status.padEnd(9)} ${bar} ${progressDetails(r)}`.slice(0, width - 1)}`);
        drawn = true;
      },
      end: () => {
        if (drawn) this.stderr.write('\n');
      },
    };
  }

  /** A line per status change and per 10 % of progress, not one per update. */
  private plainProgress(): ProgressView {
    let lastStatus = '';
    let lastDecile = -1;
    return {
      update: (r) => {
        const decile = Math.floor(r.progress * 10);
        if (r.status === lastStatus && decile === lastDecile) return;
        lastStatus = r.status;
        lastDecile = decile;
        this.stderr.write(`${r.id} ${r.status} ${progressDetails(r)}\n`);
      },
      end: () => undefined,
    };
  }

  private lines(stream: Stream, lines: readonly string[]): void {
    if (lines.length) stream.write(`${lines.join('\n')}\n`);
  }
}

/** Resolves once everything written so far has been handed to the OS, so exiting loses nothing. */
export async function flushOutput(): Promise<void> {
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((resolve) => s.write('', () => resolve()))));
}
