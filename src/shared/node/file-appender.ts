/**
 * Appends lines to files on a thread of its own, for the API's one line per new job (job.queued):
 * creating a file is the slow part of an enqueue (a fresh inode on the volume; on this project's
 * 2-core test box up to half a millisecond of kernel time after many deletions), and handing
 * open and write to libuv's pool one by one costs the event loop two trips per line.
 * Here the event loop posts one message per turn with every line queued in it; the thread does
 * them with plain sync calls (one `write()` each on an `O_APPEND` descriptor, as docs/contracts.md
 * asks) and answers once per batch (bench/enqueue.bench.ts).
 *
 * The thread's code is plain JavaScript evaluated from a string, so it runs the same under tsx,
 * vitest and the built dist. Should the thread fail, the lines it has not answered for and every
 * later one are appended from the event loop instead (a line may then be written twice, never lost).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

const APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT;

/** [id, file, line] in; [id] or [id, code, message] out, one array per batch each way. */
const THREAD_SOURCE = `
const fs = require('node:fs');
const path = require('node:path');
const { parentPort, receiveMessageOnPort } = require('node:worker_threads');
const FLAGS = ${APPEND_FLAGS};
function open(file) {
  try {
    return fs.openSync(file, FLAGS, 0o644);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return fs.openSync(file, FLAGS, 0o644);
  }
}
parentPort.on('message', (first) => {
  const done = [];
  for (let batch = first; batch; batch = receiveMessageOnPort(parentPort)?.message) {
    for (const [id, file, line] of batch) {
      try {
        const fd = open(file);
        try { fs.writeSync(fd, line); } finally { fs.closeSync(fd); }
        done.push([id]);
      } catch (err) {
        done.push([id, String(err.code || 'EIO'), String(err.message)]);
      }
    }
  }
  parentPort.postMessage(done);
});
`;

type Pending = { file: string; line: string; resolve: () => void; reject: (err: Error) => void };

/** The same append from the event loop: open and write on libuv's pool (the fallback). */
function appendOnLoop(file: string, line: string): Promise<void> {
  return fs.promises.mkdir(path.dirname(file), { recursive: true }).then(
    () =>
      new Promise<void>((resolve, reject) => {
        fs.open(file, APPEND_FLAGS, 0o644, (openErr, fd) => {
          if (openErr) return reject(openErr);
          fs.write(fd, line, (writeErr) => {
            fs.close(fd, () => (writeErr ? reject(writeErr) : resolve()));
          });
        });
      }),
  );
}

export class FileAppender {
  private worker: Worker | null = null;
  private failed = false;
  private nextId = 0;
  private readonly inFlight = new Map<number, Pending>();
  private queued: [number, string, string][] = [];
  private flushScheduled = false;

  /** Resolves once the line is in the file (so what the caller does next comes after it). */
  append(file: string, line: string): Promise<void> {
    if (this.failed) return appendOnLoop(file, line);
    return new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, { file, line, resolve, reject });
      this.queued.push([id, file, line]);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Ends the thread; lines still queued are appended from the event loop. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true;
    this.fallBack();
    await worker?.terminate();
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    if (this.failed) return this.fallBack();
    try {
      const worker = this.thread();
      worker.postMessage(batch);
      // Held open while lines are in flight, so a short-lived process waits for them.
      worker.ref();
    } catch {
      this.fail();
    }
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true, stdout: false, stderr: false });
    worker.unref();
    worker.on('message', (done: [number, string?, string?][]) => this.settle(done));
    worker.on('error', () => this.fail());
    worker.on('exit', () => {
      if (this.worker === worker) this.fail();
    });
    this.worker = worker;
    return worker;
  }

  private settle(done: [number, string?, string?][]): void {
    for (const [id, code, message] of done) {
      const pending = this.inFlight.get(id);
      if (!pending) continue;
      this.inFlight.delete(id);
      if (code === undefined) pending.resolve();
      else pending.reject(Object.assign(new Error(message ?? code), { code }));
    }
    if (this.inFlight.size === 0) this.worker?.unref();
  }

  private fail(): void {
    this.failed = true;
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate().catch(() => undefined);
    this.fallBack();
  }

  /** Every line not yet answered for, appended from the event loop. */
  private fallBack(): void {
    this.queued = [];
    const pending = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const p of pending) appendOnLoop(p.file, p.line).then(p.resolve, p.reject);
  }
}
