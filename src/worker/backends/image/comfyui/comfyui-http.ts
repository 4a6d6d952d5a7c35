/**
 * ComfyUI's HTTP routes as typed calls. Every failure to connect becomes one sentence naming the
 * URL, and a rejected prompt becomes a message naming node, class and ComfyUI's own words, because
 * that text ends up in the job record the user reads.
 */
import { NonRetryableError } from '../../types.js';
import { parseJsonBig, stringifyJsonBig } from './json-bigint.js';
import type { ObjectInfo, Workflow } from './workflow-types.js';

export interface HistoryImage {
  filename: string;
  subfolder: string;
  type: string;
}
export type HistoryMessage = [string, Record<string, unknown>];
export interface HistoryEntry {
  outputs: Record<string, { images?: HistoryImage[] }>;
  status?: { status_str: string; completed: boolean; messages?: HistoryMessage[] };
}
export interface QueueState {
  running: string[];
  pending: string[];
}
export interface SystemStats {
  system: Record<string, unknown> & { comfyui_version?: string };
  devices: Array<Record<string, unknown> & { name?: string; type?: string; vram_total?: number; vram_free?: number }>;
}

interface NodeErrorEntry {
  errors?: Array<{ type?: string; message?: string; details?: string }>;
  class_type?: string;
}

/** ComfyUI refused a prompt. On a 200 it still queued the valid part, so the id is kept for deletion. */
export class ComfyUIPromptRejectedError extends NonRetryableError {
  constructor(
    message: string,
    readonly promptId?: string,
  ) {
    super(message);
    this.name = 'ComfyUIPromptRejectedError';
  }
}

export class ComfyUIUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`ComfyUI not reachable at ${url}: ${causeText(cause)}`, { cause });
    this.name = 'ComfyUIUnreachableError';
  }
}

/** fetch() hides the socket error (ECONNREFUSED…) in nested `cause`s; that is the part worth showing. */
export function causeText(err: unknown): string {
  let e = err as { message?: string; code?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message || e?.code || String(err);
}

/** `node 6 (LoraLoaderModelOnly): Value not in list: lora_name: 'x' not in []` for every node. */
export function describeNodeErrors(nodeErrors: Record<string, NodeErrorEntry>, graph?: Workflow): string {
  return Object.entries(nodeErrors)
    .map(([id, entry]) => {
      const cls = entry.class_type ?? graph?.[id]?.class_type ?? 'unknown class';
      const errs = (entry.errors ?? []).map((e) => [e.message, e.details].filter(Boolean).join(': ')).join('; ');
      return `node ${id} (${cls}): ${errs || 'invalid'}`;
    })
    .join('; ');
}

export class ComfyUIHttp {
  constructor(
    readonly baseUrl: string,
    private readonly requestTimeoutMs = 30_000,
  ) {}

  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(new URL(path, this.baseUrl), {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : stringifyJsonBig(body),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
    } catch (err) {
      throw new ComfyUIUnreachableError(this.baseUrl, err);
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request(method, path, body);
    const text = await res.text();
    if (!res.ok) throw new Error(`ComfyUI ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return (text ? parseJsonBig(text) : {}) as T;
  }

  objectInfo(): Promise<ObjectInfo> {
    return this.json('GET', '/object_info');
  }

  systemStats(): Promise<SystemStats> {
    return this.json('GET', '/system_stats');
  }

  async queuePrompt(prompt: Workflow, clientId: string): Promise<{ prompt_id: string; number: number }> {
    const res = await this.request('POST', '/prompt', { prompt, client_id: clientId });
    const text = await res.text();
    let body: { prompt_id?: string; number?: number; error?: { message?: string; details?: string } | string; node_errors?: Record<string, NodeErrorEntry> };
    try {
      body = parseJsonBig(text) as typeof body;
    } catch {
      throw new Error(`ComfyUI POST /prompt answered ${res.status} with a non-JSON body: ${text.slice(0, 300)}`);
    }
    const nodeErrors = body.node_errors ?? {};
    if (Object.keys(nodeErrors).length > 0 || res.status === 400) {
      const err = typeof body.error === 'string' ? body.error : [body.error?.message, body.error?.details].filter(Boolean).join(': ');
      const nodes = describeNodeErrors(nodeErrors, prompt);
      throw new ComfyUIPromptRejectedError(
        `ComfyUI rejected the workflow${err ? ` (${err})` : ''}${nodes ? `: ${nodes}` : ''}`,
        res.ok ? body.prompt_id : undefined,
      );
    }
    if (!res.ok || !body.prompt_id) throw new Error(`ComfyUI POST /prompt answered ${res.status}: ${text.slice(0, 300)}`);
    return { prompt_id: body.prompt_id, number: body.number ?? -1 };
  }

  async history(promptId: string): Promise<HistoryEntry | null> {
    const all = await this.json<Record<string, HistoryEntry>>('GET', `/history/${encodeURIComponent(promptId)}`);
    return all[promptId] ?? null;
  }

  async view(image: HistoryImage): Promise<Buffer> {
    const q = new URLSearchParams({ filename: image.filename, subfolder: image.subfolder ?? '', type: image.type });
    const res = await this.request('GET', `/view?${q}`);
    if (!res.ok) throw new Error(`ComfyUI GET /view ${image.filename} answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async queue(): Promise<QueueState> {
    type Item = [number, string, ...unknown[]];
    const q = await this.json<{ queue_running?: Item[]; queue_pending?: Item[] }>('GET', '/queue');
    return { running: (q.queue_running ?? []).map((i) => i[1]), pending: (q.queue_pending ?? []).map((i) => i[1]) };
  }

  async deleteFromQueue(promptIds: string[]): Promise<void> {
    await this.json('POST', '/queue', { delete: promptIds });
  }

  /** With a prompt_id ComfyUI only interrupts if that prompt is the one running. */
  async interrupt(promptId?: string): Promise<void> {
    await this.json('POST', '/interrupt', promptId ? { prompt_id: promptId } : {});
  }
}
