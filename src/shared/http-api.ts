/**
 * The wire contract of the plain HTTP routes (everything under /api that is not tRPC): their
 * paths, the error body and the upload result. Declared once here; the server matches requests
 * against the same path templates the SPA and the typed client build URLs from. Types and plain
 * functions only, so importing it costs the SPA bundle nothing.
 */
import type { CharacterImage } from './characters.js';
import type { ParamIssue } from './errors.js';

export const API_PATHS = {
  health: '/api/health',
  session: '/api/session',
  info: '/api/info',
  trpc: '/api/trpc',
  jobLogs: '/api/jobs/:jobId/logs',
  jobFile: '/api/jobs/:jobId/files/:name',
  characterImages: '/api/characters/:id/images',
  characterImage: '/api/characters/:id/images/:name',
} as const;

export type ApiPathName = keyof typeof API_PATHS;

/** `'/a/:x/b/:y'` → `'x' | 'y'`. */
export type PathParams<T extends string> = T extends `${string}:${infer P}/${infer Rest}`
  ? P | PathParams<`/${Rest}`>
  : T extends `${string}:${infer P}`
    ? P
    : never;

/** A concrete path for a route, each parameter percent-encoded: `apiPath('jobLogs', { jobId })`. */
export function apiPath<K extends ApiPathName>(name: K, params: Record<PathParams<(typeof API_PATHS)[K]>, string>): string {
  const values = params as Record<string, string>;
  return API_PATHS[name].replace(/:([A-Za-z]+)/g, (_, key: string) => encodeURIComponent(values[key] ?? ''));
}

/** Every plain-route failure (and every non-tRPC 4xx/5xx) has this body. */
export interface ErrorBody {
  error: string;
  /** Present when the failure is about named parameters: each shown next to its control. */
  issues?: ParamIssue[];
}

export interface UploadRejection {
  /** The client's file name, cleaned for display; never used as a path. */
  filename: string;
  reason: string;
}

/** POST /api/characters/:id/images answers this (200) whenever the body was a readable multipart. */
export interface UploadResult {
  /** `filename` echoes the client's name for display; `name` is the one the server stored. */
  uploaded: (CharacterImage & { filename: string })[];
  rejected: UploadRejection[];
}
