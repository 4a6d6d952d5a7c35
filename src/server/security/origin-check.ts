/**
 * Against cross-site requests: a change (any method but GET/HEAD/OPTIONS) is refused when the
 * browser says it comes from another site (`Origin`), and a change that relies on the session
 * cookie must show it was made by our own scripts: a matching Origin or the X-Isengard-Client
 * header, which a cross-site form cannot send and a cross-site fetch cannot send without a
 * preflight we never grant.
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.js';
import { hostName } from './host-check.js';

export const CLIENT_HEADER = 'x-isengard-client';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type AuthKind = 'open' | 'bearer' | 'session';

export function createOriginCheck(opts: { allowedHosts: string[] }) {
  const listed = new Set(opts.allowedHosts.filter((h) => !h.startsWith('*.')));
  const suffixes = opts.allowedHosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
  const listedName = (name: string) => listed.has(name) || suffixes.some((s) => name.endsWith(s) && name.length > s.length);

  function sameSite(origin: string, hostHeader: string | undefined): boolean {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (sandboxed frames, file://) and garbage
    }
    if (hostHeader !== undefined && url.host === hostHeader.trim().toLowerCase()) return true;
    // Behind a proxy that rewrites Host, the public name must be listed explicitly.
    return listedName(hostName(url.host));
  }

  return (req: IncomingMessage, auth: AuthKind): void => {
    if (SAFE_METHODS.has(req.method ?? 'GET')) return;
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (sameSite(origin, req.headers.host)) return;
      throw new AppError('FORBIDDEN', `Cross-site request refused: Origin '${origin.slice(0, 200)}' is not this server`);
    }
    if (auth === 'session' && req.headers[CLIENT_HEADER] === undefined) {
      throw new AppError('FORBIDDEN', 'Cross-site request refused: a change made with the session cookie needs a matching Origin or the X-Isengard-Client header');
    }
  };
}
