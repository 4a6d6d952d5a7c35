/** A lean keep-alive JSON client on node:http, so the load generator costs little CPU. */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
  /** Round trip in ms, request write to last body byte. */
  ms: number;
}

export class JsonClient {
  readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, maxSockets = 16) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  request<T = unknown>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: {
            accept: 'application/json',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              /* keep the text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed as T, ms: performance.now() - started });
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** POST /api/trpc/<proc> with the input as the JSON body; returns `result.data` or throws. */
  async mutate<T>(proc: string, input: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    const res = await this.request<{ result?: { data: T }; error?: { message?: string } }>('POST', `/api/trpc/${proc}`, input, headers);
    if (res.status !== 200 || !res.body?.result) {
      throw new Error(`${proc} → ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return { status: res.status, body: res.body.result.data, ms: res.ms };
  }

  async query<T>(proc: string, input?: unknown): Promise<T> {
    const q = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res = await this.request<{ result?: { data: T } }>('GET', `/api/trpc/${proc}${q}`);
    if (res.status !== 200 || !res.body?.result) throw new Error(`${proc} → ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    return res.body.result.data;
  }

  close(): void {
    this.agent.destroy();
  }
}
