/**
 * Who is calling, for rate limits and logs. With TRUST_PROXY off the TCP peer is the client and
 * X-Forwarded-For is ignored: anyone can write that header. With a trusted proxy in front, the
 * client is the rightmost address in the chain that is not a trusted proxy; the entries left of
 * it were written by the client itself and count for nothing.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { trustedRanges, type TrustProxy } from '../../shared/node/security-config.js';

export type ClientAddress = (req: IncomingMessage) => string;

/** `::ffff:127.0.0.1` → `127.0.0.1`, so one client has one key whatever the socket family. */
export function normaliseAddress(address: string): string {
  const a = address.trim().replace(/^\[(.*)\]$/, '$1');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return (mapped ? mapped[1]! : a).toLowerCase();
}

/** X-Forwarded-For entries, nearest proxy last; several header lines are one list. */
function forwardedChain(req: IncomingMessage): string[] {
  const raw = req.headersDistinct?.['x-forwarded-for'] ?? [];
  return raw.flatMap((line) => line.split(',')).map((s) => normaliseAddress(s)).filter(Boolean);
}

export function createClientAddress(trust: TrustProxy): ClientAddress {
  const peer = (req: IncomingMessage) => normaliseAddress(req.socket.remoteAddress ?? 'unknown');
  if (trust.kind === 'off') return peer;
  if (trust.kind === 'hops') {
    return (req) => {
      // [peer, nearest forwarded, …]: N trusted hops make the N-th entry (0 = peer) the client.
      const chain = [peer(req), ...forwardedChain(req).reverse()];
      return chain[Math.min(trust.hops, chain.length - 1)]!;
    };
  }
  const ranges = trustedRanges(trust.cidrs);
  const trusted = (address: string) => {
    const family = net.isIP(address);
    return family !== 0 && ranges.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (req) => {
    const chain = [peer(req), ...forwardedChain(req).reverse()];
    // Walk away from the API while the hop is a trusted proxy; the first untrusted hop is the client.
    for (const hop of chain) if (!trusted(hop)) return hop;
    return chain[chain.length - 1]!;
  };
}

/** Whether the request reached the first trusted proxy over HTTPS (for the cookie's Secure flag). */
export function createForwardedHttps(trust: TrustProxy): (req: IncomingMessage) => boolean {
  return (req) => 'encrypted' in req.socket || (trust.kind !== 'off' && req.headers['x-forwarded-proto'] === 'https');
}
