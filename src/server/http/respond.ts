import type { ServerResponse } from 'node:http';
import { httpError } from '../error-mapping.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The one writer of HTTP errors: any error → its mapped status and ErrorBody; never a stack trace. */
export function sendError(res: ServerResponse, err: unknown): void {
  const { status, body, retryAfter } = httpError(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, body, retryAfter ? { 'Retry-After': String(retryAfter) } : {});
}
