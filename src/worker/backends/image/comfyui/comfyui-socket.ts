/**
 * The `/ws?clientId=` event stream, kept alive across drops. ComfyUI routes a prompt's events to
 * the socket registered under the prompt's client_id, so reconnecting with the same id resumes the
 * stream; events sent while disconnected are lost, which the client covers by polling history.
 */
import WebSocket from 'ws';
import type { Logger } from 'pino';

export interface ComfyMessage {
  type: string;
  data: Record<string, unknown>;
}

export interface SocketHandlers {
  message(msg: ComfyMessage): void;
  /** Called on every (re)connect and drop, so the owner can poll while blind. */
  state(connected: boolean): void;
}

export interface SocketOptions {
  minBackoffMs?: number;
  maxBackoffMs?: number;
  logger?: Logger;
}

export class ComfyUISocket {
  private ws: WebSocket | null = null;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  connected = false;

  constructor(
    private readonly baseUrl: string,
    readonly clientId: string,
    private readonly handlers: SocketHandlers,
    private readonly opts: SocketOptions = {},
  ) {}

  private wsUrl(): string {
    const u = new URL('/ws', this.baseUrl);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    u.searchParams.set('clientId', this.clientId);
    return u.toString();
  }

  /** First connection: rejects if ComfyUI does not answer, so the caller can report it unreachable. */
  open(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.connect();
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`WebSocket did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        if (!this.connected) reject(err);
      });
    });
  }

  private connect(): WebSocket {
    const ws = new WebSocket(this.wsUrl(), { handshakeTimeout: 10_000 });
    this.ws = ws;
    ws.on('open', () => {
      this.connected = true;
      this.attempt = 0;
      this.handlers.state(true);
    });
    ws.on('message', (data, isBinary) => {
      // Binary frames are latent previews; nothing here needs them.
      if (isBinary) return;
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      const m = msg as Partial<ComfyMessage>;
      if (typeof m?.type === 'string') this.handlers.message({ type: m.type, data: (m.data ?? {}) as Record<string, unknown> });
    });
    ws.on('error', (err) => this.opts.logger?.debug({ err }, 'comfyui websocket error'));
    ws.on('close', () => {
      const wasUp = this.connected;
      this.connected = false;
      if (wasUp) this.handlers.state(false);
      if (this.closed || this.ws !== ws) return;
      // Only retry once the first connection succeeded; open() reports the initial failure.
      if (wasUp || this.attempt > 0) this.scheduleReconnect();
    });
    return ws;
  }

  private scheduleReconnect(): void {
    const min = this.opts.minBackoffMs ?? 250;
    const max = this.opts.maxBackoffMs ?? 5_000;
    const delay = Math.min(max, min * 2 ** this.attempt);
    this.attempt++;
    this.opts.logger?.warn({ delay_ms: delay, attempt: this.attempt }, 'comfyui websocket lost; reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.closed) this.connect();
    }, delay);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.terminate();
    this.ws = null;
    this.connected = false;
  }
}
