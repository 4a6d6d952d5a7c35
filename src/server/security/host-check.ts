/**
 * Against DNS rebinding: a web page can point its own name at 127.0.0.1 and then call this API
 * from the browser as "same origin". The browser still sends that name in `Host`, so only names
 * this server is meant to have are answered: HOST, loopback names, IP literals (a rebinding
 * attack always uses a name) and ISENGARD_ALLOWED_HOSTS.
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.js';

/** `name:port`, `[v6]:port` → the host part, lower-case, without a trailing dot. */
export function hostName(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  const v6 = /^\[([^\]]*)\](?::\d*)?$/.exec(h);
  const name = v6 ? v6[1]! : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

export function createHostCheck(opts: { host: string; allowedHosts: string[] }) {
  const exact = new Set(opts.allowedHosts.filter((h) => !h.startsWith('*.')));
  const suffixes = opts.allowedHosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  const configured = hostName(opts.host);
  if (net.isIP(configured) === 0) exact.add(configured);

  function allowed(name: string): boolean {
    if (net.isIP(name) !== 0) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    return exact.has(name) || suffixes.some((s) => name.endsWith(s) && name.length > s.length);
  }

  return {
    allowed,
    /** Throws FORBIDDEN for a Host header naming anything else (a request without Host is not a browser's). */
    check(req: IncomingMessage): void {
      const header = req.headers.host;
      if (header === undefined) return;
      const name = hostName(header);
      if (allowed(name)) return;
      throw new AppError(
        'FORBIDDEN',
        `Host '${name.slice(0, 253)}' is not allowed: this server answers to its HOST, loopback names and IP addresses. ` +
          `To reach it under this name, add the name to ISENGARD_ALLOWED_HOSTS (comma-separated, e.g. ISENGARD_ALLOWED_HOSTS=${name.slice(0, 253)}) and restart.`,
      );
    },
  };
}
