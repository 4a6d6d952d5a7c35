/** Plain HTTP routes (uploads, logs, files): not tRPC, but they carry a correlation id too. */
import type { ParamIssue } from '../../shared/errors.js';
import { apiPath, type ErrorBody, type UploadResult } from '../../shared/http-api.js';
import { CLIENT_HEADER, CORRELATION_HEADER, newCorrelationId } from './trpc.js';

export type { UploadResult };
export const jobLogUrl = (jobId: string) => apiPath('jobLogs', { jobId });
/** Widths the server makes WebP thumbnails at (`?w=`); without one, the original. */
export type ThumbWidth = 256 | 768;
const thumb = (w?: ThumbWidth) => (w ? `?w=${w}` : '');
export const jobFileUrl = (jobId: string, name: string, w?: ThumbWidth) => apiPath('jobFile', { jobId, name }) + thumb(w);
export const characterImageUrl = (id: string, name: string, w?: ThumbWidth) => apiPath('characterImage', { id, name }) + thumb(w);

/** An error from a plain route, shaped like a tRPC one so the same display code handles both. */
export class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly data: { issues: ParamIssue[] },
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function apiFetch(input: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(CORRELATION_HEADER, newCorrelationId());
  headers.set(CLIENT_HEADER, 'web');
  return fetch(input, { ...init, headers });
}

async function failure(res: Response): Promise<HttpError> {
  const body = (await res.json().catch(() => null)) as Partial<ErrorBody> | null;
  return new HttpError(body?.error ?? `HTTP ${res.status}`, res.status, { issues: body?.issues ?? [] });
}

export async function uploadImages(characterId: string, files: readonly File[]): Promise<UploadResult> {
  const form = new FormData();
  for (const file of files) form.append('images', file, file.name);
  const res = await apiFetch(apiPath('characterImages', { id: characterId }), { method: 'POST', body: form });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as UploadResult;
}
