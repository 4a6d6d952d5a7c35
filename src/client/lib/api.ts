/** Plain HTTP routes (uploads, logs, files): not tRPC, but they carry a correlation id too. */
import type { ParamIssue } from '../../shared/errors.js';
import { apiPath, type ErrorBody, type UploadResult } from '../../shared/http-api.js';
import { CLIENT_HEADER, CORRELATION_HEADER, newCorrelationId } from './trpc.js';

export type { UploadResult };
export const jobLogUrl = (jobId: string) => apiPath('jobLogs', { jobId });
export const jobFileUrl = (jobId: string, name: string) => apiPath('jobFile', { jobId, name });
export const characterImageUrl = (id: string, name: string) => apiPath('characterImage', { id, name });

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

export interface LogLine {
  ts?: string;
  level?: string;
  service?: string;
  job_id?: string;
  correlation_id?: string;
  event?: string;
  msg?: string;
  fields?: Record<string, unknown>;
  /** The raw text when a line is not JSON. */
  raw?: string;
}

export function parseLogLine(text: string): LogLine {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as LogLine;
  } catch {
    /* shown raw below */
  }
  return { raw: text };
}

/**
 * Reads `/logs?follow=1` as a stream and hands over whole lines as they arrive; resolves when
 * the server ends the stream (job terminal) and rejects on HTTP errors.
 */
export async function followLog(jobId: string, onLines: (lines: LogLine[]) => void, signal: AbortSignal): Promise<void> {
  const res = await apiFetch(`${jobLogUrl(jobId)}?follow=1`, { signal });
  if (!res.ok) throw await failure(res);
  if (!res.body) {
    onLines((await res.text()).split('\n').filter(Boolean).map(parseLogLine));
    return;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let carry = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = carry + value;
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      carry = text;
      continue;
    }
    carry = text.slice(cut + 1);
    onLines(text.slice(0, cut).split('\n').filter(Boolean).map(parseLogLine));
  }
  if (carry.trim()) onLines([parseLogLine(carry)]);
}
