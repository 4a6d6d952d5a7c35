/** Spawning the CLI as a user would, and the small fixtures its tests need. */
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { REPO } from '../helpers/stack.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  done: Promise<CliRun>;
  stderr: () => string;
  /** Signals this one child (by its own handle, never by name). */
  kill: (signal: NodeJS.Signals) => void;
}

/** Async on purpose: the API under test lives in this process, so a sync spawn would deadlock it. */
export function startCli(args: readonly string[], opts: { env?: Record<string, string>; entry?: string[] } = {}): CliProcess {
  const entry = opts.entry ?? ['--import', 'tsx', 'src/tools/cli.ts'];
  // The developer's own ISENGARD_* settings must not leak into the runs.
  const { ISENGARD_URL: _url, ISENGARD_API_TOKEN: _token, ...env } = process.env;
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: REPO,
    env: { ...env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done, stderr: () => stderr, kill: (signal) => void child.kill(signal) };
}

export const runCli = (args: readonly string[], opts?: { env?: Record<string, string>; entry?: string[] }) => startCli(args, opts).done;

/** A real PNG of the given size with some structure (not a flat colour). */
export async function writePng(file: string, width: number, height: number, hue = 0): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="100%" height="100%" fill="hsl(${hue},60%,50%)"/><circle cx="${width / 2}" cy="${height / 2}" r="${width / 4}" fill="white"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
  return path.resolve(file);
}

/** A port nothing listens on (bound, then released), for the unreachable-server case. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls a running CLI's stderr until `pattern` matches; returns the first capture group. */
export async function waitForStderr(p: CliProcess, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(p.stderr());
    if (m) return m[1] ?? m[0];
    if (Date.now() > deadline) throw new Error(`no ${pattern} on stderr:\n${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
