/**
 * One `$AI_TOOLKIT_PYTHON run.py <config>` child in its own process group. The trainer forks
 * helpers (dataloader workers, compile workers) that hold GPU memory, so signals go to the whole
 * group: SIGTERM on cancel, SIGKILL once the grace period is over, and SIGKILL for anything left
 * behind after the main process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineSplitter, parseTqdmLine } from './tqdm-parser.js';

export type TrainerStream = 'stdout' | 'stderr';

export interface TrainerProcessOptions {
  python: string;
  args: string[];
  cwd: string;
  /** Extra variables over the worker's own environment (which carries CUDA_VISIBLE_DEVICES). */
  env?: NodeJS.ProcessEnv;
  onLine?: (stream: TrainerStream, line: string) => void;
  /** SIGTERM → SIGKILL delay (10 s). */
  killGraceMs?: number;
  /** Lines kept per stream for error messages. */
  tailLines?: number;
  /** Written to the child's stdin, which is then closed (the captioner reads its request there); absent: no stdin. */
  stdin?: string;
}

export interface TrainerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when cancel() was called before the exit. */
  cancelled: boolean;
  /** True when the group had to be SIGKILLed after the grace period. */
  killed: boolean;
  stderrTail: string[];
  stdoutTail: string[];
}

export const DEFAULT_KILL_GRACE_MS = 10_000;
export const DEFAULT_TAIL_LINES = 30;
/** After the exit, how long stdio may stay open (held by an orphan) before it is cut. */
const STDIO_DRAIN_MS = 2_000;

/**
 * A bounded tail of one stream. Consecutive tqdm redraws collapse into the latest one, so a crash
 * right after thousands of refreshes still leaves the traceback, not progress bars, in the tail.
 */
export class LineTail {
  private readonly lines: string[] = [];
  private lastWasProgress = false;
  constructor(private readonly max: number) {}

  push(line: string): void {
    const progress = parseTqdmLine(line) !== null;
    if (progress && this.lastWasProgress) this.lines[this.lines.length - 1] = line;
    else this.lines.push(line);
    this.lastWasProgress = progress;
    if (this.lines.length > this.max) this.lines.shift();
  }

  get(): string[] {
    return [...this.lines];
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    // ESRCH: nobody left. EPERM: the id was reused by a group that is not ours. Either way, nothing to stop.
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export class TrainerProcess {
  readonly pid: number;
  private readonly child: ChildProcess;
  private readonly stderrTail: LineTail;
  private readonly stdoutTail: LineTail;
  private readonly graceMs: number;
  private cancelRequested = false;
  private killed = false;
  private exited = false;
  private killTimer: NodeJS.Timeout | null = null;
  private readonly done: Promise<TrainerExit>;

  constructor(opts: TrainerProcessOptions) {
    this.graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const tail = opts.tailLines ?? DEFAULT_TAIL_LINES;
    this.stderrTail = new LineTail(tail);
    this.stdoutTail = new LineTail(tail);
    this.child = spawn(opts.python, opts.args, {
      cwd: opts.cwd,
      detached: true,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      // Piped Python stdout is block-buffered; without this, log lines arrive minutes late or at exit.
      env: { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env },
    });
    if (opts.stdin !== undefined && this.child.stdin) {
      // A child that exits without reading it makes the write fail with EPIPE: its exit tells why.
      this.child.stdin.on('error', () => undefined);
      this.child.stdin.end(opts.stdin);
    }
    this.done = this.watch(opts.onLine);
    // A failed spawn rejects wait(); this keeps it from also surfacing as an unhandled rejection.
    this.done.catch(() => undefined);
    this.pid = this.child.pid ?? -1;
  }

  private watch(onLine: TrainerProcessOptions['onLine']): Promise<TrainerExit> {
    const child = this.child;
    const streams: [TrainerStream, NodeJS.ReadableStream, LineTail][] = [
      ['stdout', child.stdout!, this.stdoutTail],
      ['stderr', child.stderr!, this.stderrTail],
    ];
    const closed = streams.map(
      ([name, stream, tail]) =>
        new Promise<void>((resolve) => {
          const splitter = new LineSplitter((line) => {
            tail.push(line);
            onLine?.(name, line);
          });
          stream.on('data', (chunk: Buffer) => splitter.push(chunk));
          stream.on('error', () => undefined);
          stream.on('close', () => {
            splitter.end();
            resolve();
          });
        }),
    );
    return new Promise<TrainerExit>((resolve, reject) => {
      child.once('error', (err) => {
        this.exited = true;
        this.clearKillTimer();
        reject(err);
      });
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.clearKillTimer();
        // The leader is gone; anything still in its group is an orphan that would keep the GPU busy.
        if (this.pid > 0 && groupAlive(this.pid)) signalGroup(this.pid, 'SIGKILL');
        const drained = Promise.all(closed);
        let timer: NodeJS.Timeout | undefined;
        const cutoff = new Promise<void>((r) => {
          timer = setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
            r();
          }, STDIO_DRAIN_MS);
        });
        void Promise.race([drained, cutoff]).then(() => {
          clearTimeout(timer);
          resolve({
            code,
            signal,
            cancelled: this.cancelRequested,
            killed: this.killed,
            stderrTail: this.stderrTail.get(),
            stdoutTail: this.stdoutTail.get(),
          });
        });
      });
    });
  }

  /** Resolves once the trainer exited and its output was read; rejects if it could not start. */
  wait(): Promise<TrainerExit> {
    return this.done;
  }

  /** SIGTERM to the group now, SIGKILL to the group if the trainer is still running after the grace period. */
  cancel(): void {
    if (this.cancelRequested || this.exited || this.pid <= 0) return;
    this.cancelRequested = true;
    signalGroup(this.pid, 'SIGTERM');
    this.killTimer = setTimeout(() => {
      this.killTimer = null;
      if (!this.exited && groupAlive(this.pid)) {
        this.killed = true;
        signalGroup(this.pid, 'SIGKILL');
      }
    }, this.graceMs);
  }

  private clearKillTimer(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
  }
}

/** Starts the trainer; `wait()` gives the exit, `cancel()` stops the whole process group. */
export function startTrainer(opts: TrainerProcessOptions): TrainerProcess {
  return new TrainerProcess(opts);
}
