/**
 * A fake ComfyUI that speaks the real protocol (tests/fixtures/comfyui/README.md): `/object_info` from the
 * fixture, prompt validation with ComfyUI-shaped node_errors, one-at-a-time queue, WS events routed
 * by client_id (lost while that client is disconnected, as in ComfyUI), history, `/view` with real
 * PNGs, queue delete and interrupt. Knobs reproduce the failures a real pod shows.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import sharp from 'sharp';
import { WebSocketServer, type WebSocket } from 'ws';
import type { JobOutput, ProgressUpdate } from '../../src/shared/jobs.js';
import { JobLogger, type JobLogRecord } from '../../src/shared/node/job-logger.js';
import type { JobContext } from '../../src/worker/backends/types.js';
import { parseJsonBig, stringifyJsonBig } from '../../src/worker/backends/image/comfyui/json-bigint.js';

type Node = { class_type: string; inputs: Record<string, unknown> };
type Graph = Record<string, Node>;
type Msg = [string, Record<string, unknown>];
export const FIXTURE_OBJECT_INFO = fileURLToPath(new URL('../fixtures/comfyui/object_info.json', import.meta.url));

export interface FakeMode {
  /** Per sampler step. */
  stepDelayMs: number;
  /** If set, each image's sampling takes this long in total (spread over its steps). */
  gpuMsPerImage: number | null;
  /** Reject every prompt with node_errors on the UNETLoader, as a 400 or a 200 (which still queues it). */
  rejectPrompt: null | 400 | 200;
  /** The sampler node raises this message. */
  executionError: string | null;
  /** Close every socket after this sampler step (once), refusing reconnects for `downMs`. */
  dropWs: null | { afterStep: number; downMs: number };
  /** Report step 1, then make no progress until interrupted. */
  hang: boolean;
  /** Answer POST /prompt this late (the prompt already runs): events then precede the prompt_id. */
  promptResponseDelayMs: number;
}
export interface ReceivedPrompt {
  prompt_id: string;
  number: number;
  client_id: string;
  prompt: Graph;
}
interface Item extends ReceivedPrompt {
  messages: Msg[];
}

export interface FakeComfyUI {
  url: string;
  prompts: ReceivedPrompt[];
  interrupts: Array<{ prompt_id?: string; interrupted?: string }>;
  deleted: string[];
  requests: string[];
  /** Every POST /free body, with the time it arrived (ComfyUI's server.py sets unload/free flags from it). */
  frees: Array<{ unload_models?: unknown; free_memory?: unknown; at: number }>;
  /** Like ComfyUI's model management: FLUX stays loaded after a prompt until /free unloads it. */
  modelsLoaded: boolean;
  /** Total ms spent executing prompts: the GPU-busy time a benchmark compares wall time with. */
  stats: { busyMs: number; wsConnections: number };
  setMode(mode: Partial<FakeMode>): void;
  close(): Promise<void>;
}

export async function startFakeComfyUI(opts: Partial<FakeMode> & { objectInfoPath?: string; comfyuiDir?: string } = {}): Promise<FakeComfyUI> {
  const objectInfo = parseJsonBig(fs.readFileSync(opts.objectInfoPath ?? FIXTURE_OBJECT_INFO, 'utf8')) as Record<string, any>;
  const mode: FakeMode = { stepDelayMs: 2, gpuMsPerImage: null, rejectPrompt: null, executionError: null, dropWs: null, hang: false, promptResponseDelayMs: 0, ...opts };
  const fake: FakeComfyUI = { url: '', prompts: [], interrupts: [], deleted: [], requests: [], frees: [], modelsLoaded: false, stats: { busyMs: 0, wsConnections: 0 }, setMode: (m) => Object.assign(mode, m), close };
  const sockets = new Map<string, WebSocket>();
  const history = new Map<string, Record<string, unknown>>();
  const files = new Map<string, Buffer>();
  const pending: Item[] = [];
  let running: Item | null = null;
  let interrupt: (() => void) | null = null;
  let interrupted = false;
  let wsDownUntil = 0;
  let counter = 0;
  let closed = false;

  /** Like ComfyUI's folder_paths: the lora list is whatever sits under models/loras right now. */
  const loras = (): string[] => {
    if (!opts.comfyuiDir) return [];
    const root = path.join(opts.comfyuiDir, 'models', 'loras');
    if (!fs.existsSync(root)) return [];
    return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.safetensors')).map((f) => f.split(path.sep).join('/'));
  };
  const info = () => {
    const copy = structuredClone(objectInfo);
    for (const c of ['LoraLoader', 'LoraLoaderModelOnly']) if (copy[c]) copy[c].input.required.lora_name = [loras()];
    return copy;
  };
  const send = (clientId: string | null, type: string, data: Record<string, unknown>) => {
    const targets = clientId === null ? [...sockets.values()] : [sockets.get(clientId)].filter((s) => s !== undefined);
    for (const ws of targets) if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type, data }));
  };
  const status = () => send(null, 'status', { status: { exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } } });

  function validate(prompt: Graph): Record<string, unknown> | null {
    const all = info();
    const nodeErrors: Record<string, unknown> = {};
    for (const [id, n] of Object.entries(prompt)) {
      const def = all[n?.class_type];
      if (!def) return { error: { type: 'invalid_prompt', message: `Cannot execute because node ${n?.class_type} does not exist.`, details: `Node ID '#${id}'`, extra_info: {} }, node_errors: {} };
      const errors: unknown[] = [];
      for (const [name, spec] of Object.entries<unknown[]>(def.input.required ?? {})) {
        const v = n.inputs[name];
        const combo = Array.isArray(spec[0]) ? spec[0] : spec[0] === 'COMBO' ? (spec[1] as { options: unknown[] }).options : null;
        if (v === undefined) errors.push({ type: 'required_input_missing', message: 'Required input is missing', details: name, extra_info: {} });
        else if (Array.isArray(v) && !prompt[v[0] as string]) errors.push({ type: 'bad_linked_input', message: 'Bad linked input', details: `${name}: node ${v[0]} missing`, extra_info: {} });
        else if (combo && !Array.isArray(v) && !combo.includes(v)) errors.push({ type: 'value_not_in_list', message: 'Value not in list', details: `${name}: '${v}' not in ${JSON.stringify(combo)}`, extra_info: {} });
      }
      if (errors.length) nodeErrors[id] = { errors, dependent_outputs: [], class_type: n.class_type };
    }
    if (!Object.values(prompt).some((n) => all[n.class_type]?.output_node)) return { error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} }, node_errors: {} };
    if (Object.keys(nodeErrors).length) return { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} }, node_errors: nodeErrors };
    return null;
  }

  const forcedErrors = (prompt: Graph) => {
    const id = Object.keys(prompt).find((k) => prompt[k]!.class_type === 'UNETLoader') ?? Object.keys(prompt)[0]!;
    const details = `unet_name: '${String(prompt[id]?.inputs.unet_name)}' not in []`;
    return { [id]: { errors: [{ type: 'value_not_in_list', message: 'Value not in list', details, extra_info: {} }], dependent_outputs: [], class_type: prompt[id]?.class_type } };
  };

  /** Post-order from the output nodes: the order ComfyUI executes in. */
  function order(prompt: Graph): string[] {
    const out: string[] = [];
    const visit = (id: string) => {
      if (out.includes(id) || !prompt[id]) return;
      for (const v of Object.values(prompt[id].inputs)) if (Array.isArray(v) && typeof v[0] === 'string') visit(v[0]);
      out.push(id);
    };
    for (const [id, n] of Object.entries(prompt)) if (objectInfo[n.class_type]?.output_node) visit(id);
    return out;
  }
  const input = (prompt: Graph, cls: string, name: string, fallback: number): number => {
    const n = Object.values(prompt).find((x) => x.class_type === cls);
    return n ? Number(n.inputs[name]) : fallback;
  };
  const sleep = (ms: number) => new Promise<void>((resolve) => { const t = setTimeout(resolve, Math.max(0, ms)); interrupt = () => { clearTimeout(t); resolve(); }; });

  async function execute(item: Item): Promise<void> {
    const started = performance.now();
    const { prompt_id, client_id: cid, prompt } = item;
    const emit = (type: string, data: Record<string, unknown>, record = false) => {
      const full = { ...data, prompt_id, timestamp: Date.now() };
      if (record) item.messages.push([type, full]);
      send(cid, type, full);
    };
    emit('execution_start', {}, true);
    fake.modelsLoaded = true;
    emit('execution_cached', { nodes: [] }, true);
    const outputs: Record<string, unknown> = {};
    let current = '';
    try {
      for (const id of order(prompt)) {
        current = id;
        const cls = prompt[id]!.class_type;
        send(cid, 'executing', { node: id, display_node: id, prompt_id });
        if (cls === 'SamplerCustomAdvanced' || cls === 'KSampler') {
          const steps = cls === 'KSampler' ? input(prompt, 'KSampler', 'steps', 20) : input(prompt, 'BasicScheduler', 'steps', 20);
          const per = mode.gpuMsPerImage !== null ? mode.gpuMsPerImage / steps : mode.stepDelayMs;
          for (let k = 1; k <= steps; k++) {
            await sleep(started + k * per - performance.now());
            if (interrupted || closed) throw new Error('interrupted');
            if (mode.executionError) throw Object.assign(new Error(mode.executionError), { exec: true });
            send(cid, 'progress', { value: k, max: steps, prompt_id, node: id });
            const ws = sockets.get(cid);
            if (ws?.readyState === ws?.OPEN) ws?.send(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2, 0xff, 0xd8]), { binary: true }); // preview frame
            if (mode.hang) await new Promise<void>((r) => (interrupt = r));
            if (interrupted || closed) throw new Error('interrupted');
            if (mode.dropWs && k === mode.dropWs.afterStep) {
              wsDownUntil = Date.now() + mode.dropWs.downMs;
              mode.dropWs = null;
              for (const ws of sockets.values()) ws.terminate();
            }
          }
        }
        if (cls === 'SaveImage') {
          const scale = Object.values(prompt).some((n) => n.class_type === 'ImageUpscaleWithModel') ? 2 : 1;
          const w = input(prompt, 'EmptySD3LatentImage', 'width', 1024) * scale;
          const h = input(prompt, 'EmptySD3LatentImage', 'height', 1024) * scale;
          const seed = Number(BigInt(Object.values(prompt).find((n) => n.class_type === 'RandomNoise')?.inputs.noise_seed as number ?? 0) % 255n);
          const png = await sharp({ create: { width: w, height: h, channels: 3, background: { r: seed, g: 128, b: 255 - seed } } }).png().toBuffer();
          const filename = `${String(prompt[id]!.inputs.filename_prefix)}_${String(++counter).padStart(5, '0')}_.png`;
          files.set(filename, png);
          outputs[id] = { images: [{ filename, subfolder: '', type: 'output' }] };
          send(cid, 'executed', { node: id, display_node: id, output: outputs[id], prompt_id });
        }
      }
      emit('execution_success', {}, true);
    } catch (err) {
      const node = { node_id: current, node_type: prompt[current]?.class_type, executed: [] };
      if ((err as { exec?: boolean }).exec) emit('execution_error', { ...node, exception_message: (err as Error).message, exception_type: 'RuntimeError', traceback: ['fake'], current_inputs: {}, current_outputs: {} }, true);
      else emit('execution_interrupted', node, true);
    }
    const ok = item.messages.some(([t]) => t === 'execution_success');
    history.set(prompt_id, { prompt: [item.number, prompt_id, prompt, { client_id: cid }, []], outputs, status: { status_str: ok ? 'success' : 'error', completed: ok, messages: item.messages }, meta: {} });
    fake.stats.busyMs += performance.now() - started;
    send(cid, 'executing', { node: null, prompt_id });
  }

  async function pump(): Promise<void> {
    while (!running && pending.length && !closed) {
      running = pending.shift()!;
      interrupted = false;
      status();
      await execute(running);
      running = null;
      status();
    }
  }

  const json = (res: http.ServerResponse, code: number, body: unknown) => {
    res.writeHead(code, { 'content-type': 'application/json' }).end(stringifyJsonBig(body));
  };
  const item = (i: Item) => [i.number, i.prompt_id, i.prompt, { client_id: i.client_id }, []];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.requests.push(`${req.method} ${url.pathname}`);
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = (raw ? parseJsonBig(raw) : {}) as Record<string, unknown>;
      const route = `${req.method} ${url.pathname}`;
      if (route === 'GET /object_info') return json(res, 200, info());
      if (route === 'GET /system_stats') return json(res, 200, { system: { os: 'posix', comfyui_version: '0.3.fake', python_version: '3.12', pytorch_version: '2.7' }, devices: [{ name: 'cuda:0 Fake GPU', type: 'cuda', vram_total: 24e9, vram_free: fake.modelsLoaded ? 1e9 : 20e9 }] });
      if (route === 'POST /free') {
        // server.py: flags only; the prompt worker unloads once idle (at once here when nothing runs).
        fake.frees.push({ unload_models: body.unload_models, free_memory: body.free_memory, at: Date.now() });
        if (body.unload_models === true && !running) fake.modelsLoaded = false;
        return res.writeHead(200).end();
      }
      if (route === 'GET /queue') return json(res, 200, { queue_running: running ? [item(running)] : [], queue_pending: pending.map(item) });
      if (route.startsWith('GET /history/')) {
        const id = decodeURIComponent(url.pathname.slice('/history/'.length));
        return json(res, 200, history.has(id) ? { [id]: history.get(id) } : {});
      }
      if (route === 'GET /view') {
        const png = files.get(url.searchParams.get('filename') ?? '');
        return png ? res.writeHead(200, { 'content-type': 'image/png' }).end(png) : res.writeHead(404).end();
      }
      if (route === 'POST /interrupt') {
        const target = typeof body.prompt_id === 'string' ? body.prompt_id : undefined;
        const hit = running && (!target || target === running.prompt_id) ? running.prompt_id : undefined;
        fake.interrupts.push({ prompt_id: target, interrupted: hit });
        if (hit) { interrupted = true; interrupt?.(); }
        return res.writeHead(200).end();
      }
      if (route === 'POST /queue') {
        if (body.clear) pending.splice(0);
        for (const id of (body.delete as string[] | undefined) ?? []) {
          fake.deleted.push(id);
          const at = pending.findIndex((p) => p.prompt_id === id);
          if (at >= 0) pending.splice(at, 1);
        }
        return res.writeHead(200).end();
      }
      if (route === 'POST /prompt') {
        const prompt = body.prompt as Graph;
        const problem = !prompt || typeof prompt !== 'object' ? { error: { type: 'invalid_prompt', message: 'No prompt provided' }, node_errors: {} } : validate(prompt);
        if (problem) return json(res, 400, problem);
        if (mode.rejectPrompt === 400) return json(res, 400, { error: { type: 'prompt_outputs_failed_validation', message: 'Prompt outputs failed validation', details: '', extra_info: {} }, node_errors: forcedErrors(prompt) });
        const queued: Item = { prompt_id: randomUUID(), number: fake.prompts.length, client_id: String(body.client_id ?? ''), prompt, messages: [] };
        fake.prompts.push({ prompt_id: queued.prompt_id, number: queued.number, client_id: queued.client_id, prompt });
        pending.push(queued);
        void pump();
        const answer = () => json(res, 200, { prompt_id: queued.prompt_id, number: queued.number, node_errors: mode.rejectPrompt === 200 ? forcedErrors(prompt) : {} });
        return mode.promptResponseDelayMs > 0 ? void setTimeout(answer, mode.promptResponseDelayMs) : answer();
      }
      json(res, 404, { error: `no route ${route}` });
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    fake.requests.push(`WS ${url.pathname}`);
    socket.on('error', () => {}); // a client giving up on a refused upgrade resets the socket
    if (url.pathname !== '/ws' || Date.now() < wsDownUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const sid = url.searchParams.get('clientId') || randomUUID().replace(/-/g, '');
      sockets.set(sid, ws);
      ws.on('error', () => {});
      fake.stats.wsConnections++;
      ws.on('close', () => sockets.get(sid) === ws && sockets.delete(sid));
      ws.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: pending.length + (running ? 1 : 0) } }, sid } }));
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function close(): Promise<void> {
    closed = true;
    pending.splice(0);
    interrupt?.();
    for (const ws of sockets.values()) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return fake;
}

/** A URL nothing listens on (a port just freed), for "ComfyUI is down" cases. */
export function closedUrl(): Promise<string> {
  return new Promise((resolve) => {
    const s = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}

/** A JobContext as the processor builds it, with a real JobLogger under `root`, recording calls. */
export function createTestJobContext(root: string, opts: { jobId?: string; signal?: AbortSignal } = {}) {
  const jobId = opts.jobId ?? 'generation-0123456789ab';
  const logPath = path.join(root, 'logs', 'jobs', `${jobId}.jsonl`);
  const logger = new JobLogger({ jobId, service: 'worker', logPath, logger: pino({ level: 'silent' }), correlationId: 'test-corr' });
  const progress: ProgressUpdate[] = [];
  const outputs: JobOutput[] = [];
  const ctx: JobContext = {
    jobId,
    signal: opts.signal ?? new AbortController().signal,
    logger,
    progress: (u) => progress.push(u),
    addOutput: async (o) => void outputs.push(o),
    removeOutput: async (name) => void outputs.splice(outputs.findIndex((o) => o.name === name) >>> 0, 1),
    outputsDir: path.join(root, 'outputs', jobId),
  };
  const readLog = (): JobLogRecord[] =>
    fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as JobLogRecord) : [];
  return { ctx, progress, outputs, readLog, logPath };
}
