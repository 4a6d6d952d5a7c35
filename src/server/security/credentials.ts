/**
 * Reading credentials off a request: `Authorization: Bearer …` (scheme case-insensitive, as
 * RFC 9110 says auth schemes are) and the session cookie. The token is compared in constant time
 * over fixed-length digests.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'isengard_session';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The Bearer credential, or undefined when the request has no Bearer Authorization header. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const m = /^bearer[ \t]+(.*)$/is.exec(req.headers.authorization ?? '');
  return m ? m[1]!.trim() : undefined;
}

export function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function sessionCookie(sessionId: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(sessionId)}; HttpOnly; SameSite=Strict; Path=/api${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/api; Max-Age=0${secure ? '; Secure' : ''}`;
}
