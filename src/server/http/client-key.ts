import type { IncomingMessage } from 'node:http';

/** The caller's address; `X-Forwarded-For` is trusted only from a loopback proxy. */
export function clientKey(req: IncomingMessage): string {
  const remote = req.socket.remoteAddress ?? 'unknown';
  const forwarded = req.headers['x-forwarded-for'];
  if (typeof forwarded === 'string' && /^(127\.|::1$|::ffff:127\.)/.test(remote)) {
    return forwarded.split(',')[0]!.trim() || remote;
  }
  return remote;
}
