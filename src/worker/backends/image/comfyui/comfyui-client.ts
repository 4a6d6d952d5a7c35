/**
 * Runs a batch of prompts on ComfyUI the way its own frontend does: socket first, then every prompt
 * queued at once so the GPU goes straight from one image to the next while we download and save
 * the previous one. Completion is always confirmed from `/history`, which is also polled whenever
 * the socket is down (and slowly while it is up) so a lost event can never stall a job.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { JobCancelledError, NonRetryableError } from '../../types.js';
import { ComfyUIHttp, ComfyUIPromptRejectedError, ComfyUIUnreachableError, type HistoryEntry, type HistoryImage, type SystemStats } from './comfyui-http.js';
import { ComfyUISocket, type ComfyMessage } from './comfyui-socket.js';
import type { ObjectInfo, Workflow } from './workflow-types.js';

export interface ClientOptions {
  url: string;
  logger?: Logger;
  requestTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** History poll period while the socket is down. */
  pollIntervalMs?: number;
  /** History poll period while the socket is up (backstop for a lost event). */
  slowPollIntervalMs?: number;
}

export interface FetchedImage extends HistoryImage {
  nodeId: string;
  data: Buffer;
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Per image, counted from when the previous image is done. */
  timeoutMs: number;
  onQueued?(index: number, promptId: string): void;
  onProgress?(index: number, p: { value: number; max: number; node?: string }): void;
  onExecuting?(index: number, node: string): void;
  /** Awaited before the next image is awaited; ComfyUI keeps working meanwhile. */
  onResult(index: number, images: FetchedImage[]): Promise<void>;
}

interface Tracked {
  index: number;
  id: string;
  running: boolean;
  settled: boolean;
  checking: boolean;
  done: Promise<HistoryEntry>;
  resolve(entry: HistoryEntry): void;
  reject(err: Error): void;
}

export class ComfyUIClient {
  readonly http: ComfyUIHttp;

  constructor(private readonly opts: ClientOptions) {
    this.http = new ComfyUIHttp(opts.url, opts.requestTimeoutMs);
  }

  getObjectInfo(): Promise<ObjectInfo> {
    return this.http.objectInfo();
  }

  systemStats(): Promise<SystemStats> {
    return this.http.systemStats();
  }

  async run(graphs: Workflow[], opts: RunOptions): Promise<void> {
    const { signal } = opts;
    if (signal?.aborted) throw new JobCancelledError();
    const tracked: Tracked[] = [];
    const byId = new Map<string, Tracked>();
    const n = graphs.length;

    const check = async (t: Tracked, retry: boolean): Promise<void> => {
      if (t.settled || t.checking) return;
      t.checking = true;
      try {
        for (let attempt = 0; !t.settled; attempt++) {
          // execution_success arrives before ComfyUI stores history, so "done" may briefly find nothing.
          const entry = await this.http.history(t.id).catch(() => null);
          if (entry) return settleFromHistory(t, entry, n);
          if (!retry || attempt >= 100) return;
          await sleep(50);
        }
      } finally {
        t.checking = false;
      }
    };
    const poll = async () => {
      for (const t of tracked) {
        if (t.settled) continue;
        await check(t, false);
        if (!t.settled) return; // prompts finish in order: later ones cannot be done yet
      }
    };

    // A fast prompt can emit events before its POST /prompt answer arrives; keep them until the id is known.
    const early = new Map<string, ComfyMessage[]>();
    const handle = (msg: ComfyMessage) => {
      const id = msg.data.prompt_id;
      if (typeof id === 'string' && !byId.has(id)) {
        if (early.size < 1000) early.set(id, [...(early.get(id) ?? []), msg].slice(-200));
        return;
      }
      onMessage(msg, byId, n, opts, check);
    };
    const socket = new ComfyUISocket(
      this.opts.url,
      randomUUID(),
      {
        message: handle,
        state: (up) => {
          if (up) void poll(); // events during the gap are gone: catch up from history
        },
      },
      { minBackoffMs: this.opts.reconnectMinMs, maxBackoffMs: this.opts.reconnectMaxMs, logger: this.opts.logger },
    );
    try {
      await socket.open();
    } catch (err) {
      socket.close();
      throw new ComfyUIUnreachableError(this.opts.url, err);
    }

    const fast = this.opts.pollIntervalMs ?? 1_000;
    const slowEvery = Math.max(1, Math.round((this.opts.slowPollIntervalMs ?? 10_000) / fast));
    let tick = 0;
    const poller = setInterval(() => {
      if (!socket.connected || ++tick % slowEvery === 0) void poll();
    }, fast);

    try {
      for (const [index, graph] of graphs.entries()) {
        if (signal?.aborted) throw new JobCancelledError();
        const { prompt_id } = await this.http.queuePrompt(graph, socket.clientId).catch((err: unknown) => {
          // A 200 with node_errors queued part of the graph anyway: make sure it gets removed.
          if (err instanceof ComfyUIPromptRejectedError && err.promptId) tracked.push(track(index, err.promptId));
          throw err;
        });
        const t = track(index, prompt_id);
        tracked.push(t);
        byId.set(prompt_id, t);
        opts.onQueued?.(index, prompt_id);
        for (const msg of early.get(prompt_id) ?? []) onMessage(msg, byId, n, opts, check);
        early.delete(prompt_id);
      }
      for (const t of tracked) {
        const entry = await waitFor(t, opts.timeoutMs, signal, n);
        const images: FetchedImage[] = [];
        for (const [nodeId, out] of Object.entries(entry.outputs).sort(([a], [b]) => Number(a) - Number(b))) {
          for (const img of out.images ?? []) {
            if (img.type !== 'output') continue; // temp previews are not results
            images.push({ ...img, nodeId, data: await this.http.view(img) });
          }
        }
        if (images.length === 0) throw new NonRetryableError(`ComfyUI finished image ${t.index + 1}/${n} without saving any image`);
        await opts.onResult(t.index, images);
      }
    } catch (err) {
      await this.cancelOutstanding(tracked);
      if (signal?.aborted) throw new JobCancelledError();
      throw err;
    } finally {
      clearInterval(poller);
      socket.close();
    }
  }

  /** Deletes our pending prompts first, so the queue cannot advance into one, then interrupts ours if running. */
  private async cancelOutstanding(tracked: Tracked[]): Promise<void> {
    const open = tracked.filter((t) => !t.settled);
    for (const t of open) t.settled = true;
    if (open.length === 0) return;
    const ids = open.map((t) => t.id);
    await this.http.deleteFromQueue(ids).catch((err) => this.opts.logger?.warn({ err }, 'comfyui queue delete failed'));
    let running: string | undefined;
    try {
      const q = await this.http.queue();
      running = ids.find((id) => q.running.includes(id));
    } catch {
      running = open.find((t) => t.running)?.id;
    }
    if (running) await this.http.interrupt(running).catch((err) => this.opts.logger?.warn({ err }, 'comfyui interrupt failed'));
  }
}

function track(index: number, id: string): Tracked {
  let resolve!: (e: HistoryEntry) => void;
  let reject!: (e: Error) => void;
  const done = new Promise<HistoryEntry>((res, rej) => ((resolve = res), (reject = rej)));
  done.catch(() => {}); // rejections are observed by waitFor; an early one must not be "unhandled"
  const t: Tracked = {
    index,
    id,
    running: false,
    settled: false,
    checking: false,
    done,
    resolve: (e) => !t.settled && ((t.settled = true), resolve(e)),
    reject: (e) => !t.settled && ((t.settled = true), reject(e)),
  };
  return t;
}

function onMessage(
  msg: ComfyMessage,
  byId: Map<string, Tracked>,
  n: number,
  opts: RunOptions,
  check: (t: Tracked, retry: boolean) => Promise<void>,
): void {
  const t = typeof msg.data.prompt_id === 'string' ? byId.get(msg.data.prompt_id) : undefined;
  if (!t || t.settled) return;
  const d = msg.data;
  switch (msg.type) {
    case 'execution_start':
      t.running = true;
      return;
    case 'executing':
      if (d.node === null || d.node === undefined) void check(t, true);
      else {
        t.running = true;
        opts.onExecuting?.(t.index, String(d.node));
      }
      return;
    case 'progress':
      t.running = true;
      opts.onProgress?.(t.index, { value: Number(d.value), max: Number(d.max), node: d.node == null ? undefined : String(d.node) });
      return;
    case 'execution_success':
      void check(t, true);
      return;
    case 'execution_error':
      t.reject(executionError(t.index, n, d));
      return;
    case 'execution_interrupted':
      t.reject(new NonRetryableError(`ComfyUI interrupted image ${t.index + 1}/${n} at node ${d.node_id} (${d.node_type})`));
      return;
  }
}

function executionError(index: number, n: number, d: Record<string, unknown>): NonRetryableError {
  const kind = d.exception_type ? `${String(d.exception_type)}: ` : '';
  return new NonRetryableError(
    `ComfyUI failed on image ${index + 1}/${n} in node ${d.node_id} (${d.node_type}): ${kind}${String(d.exception_message ?? 'unknown error').trim()}`,
  );
}

function settleFromHistory(t: Tracked, entry: HistoryEntry, n: number): void {
  const status = entry.status;
  if (!status || status.status_str === 'success' || status.completed) return t.resolve(entry);
  const messages = status.messages ?? [];
  const error = messages.find(([type]) => type === 'execution_error');
  if (error) return t.reject(executionError(t.index, n, error[1]));
  const interrupted = messages.find(([type]) => type === 'execution_interrupted');
  const where = interrupted ? ` at node ${interrupted[1].node_id} (${interrupted[1].node_type})` : '';
  t.reject(new NonRetryableError(`ComfyUI ${interrupted ? 'interrupted' : 'failed'} image ${t.index + 1}/${n}${where}`));
}

async function waitFor(t: Tracked, timeoutMs: number, signal: AbortSignal | undefined, n: number): Promise<HistoryEntry> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NonRetryableError(`ComfyUI did not finish image ${t.index + 1}/${n} within ${timeoutMs / 1000} s (prompt ${t.id})`)),
      timeoutMs,
    );
    onAbort = () => reject(new JobCancelledError());
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([t.done, stop]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
