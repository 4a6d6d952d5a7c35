/**
 * Response headers for every answer: the SPA may not be framed, sniffed or leak its URLs, and
 * its scripts, styles and connections come from this server only (the built app has no inline
 * script or style sheet; React sets styles through the DOM, which CSP allows). API answers to an
 * authenticated caller are never stored by a cache.
 */
import type { ServerResponse } from 'node:http';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

export function setNoStore(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store');
}
