/**
 * Exit codes and the mapping of every error the CLI can meet onto one of them, so scripts can
 * tell "fix your input" from "the server is away" from "the job itself failed".
 */
import { TRPCClientError } from '@trpc/client';
import { IsengardHttpError } from './client.js';

export const EXIT = { ok: 0, jobFailed: 1, usage: 2, unreachable: 3, interrupted: 130 } as const;

/** Bad command line or input caught before anything was sent. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface DescribedError {
  code: number;
  /** The first (server) sentence, printed as-is. */
  message: string;
  /** Further sentences when several parameters were wrong. */
  more: string[];
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/**
 * fetch wraps every transport failure (refused, DNS, TLS, blocked port) as TypeError('fetch
 * failed') with the errno code somewhere below; returns the most specific reason, or null.
 */
function networkReason(err: unknown): string | null {
  let fetchFailed = false;
  let deepest = '';
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    if (e instanceof TypeError && e.message === 'fetch failed') fetchFailed = true;
    deepest = e.message;
  }
  return fetchFailed ? deepest : null;
}

function byStatus(status: number): number {
  if (status === 502 || status === 503 || status === 504) return EXIT.unreachable;
  if (status >= 400 && status < 500) return EXIT.usage;
  return EXIT.jobFailed;
}

const others = (issues: { message: string }[] | undefined, first: string) =>
  (issues ?? []).map((i) => i.message).filter((m, i) => !(i === 0 && m === first));

export function describeError(err: unknown, url: string): DescribedError {
  if (err instanceof UsageError) return { code: EXIT.usage, message: err.message, more: err.issues };
  if (err instanceof Error && err.name === 'AbortError') return { code: EXIT.interrupted, message: 'Interrupted', more: [] };
  const network = networkReason(err);
  if (network) return { code: EXIT.unreachable, message: `Cannot reach the Isengard server at ${url} (${network})`, more: [] };
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<never>).data as { httpStatus?: number; issues?: { message: string }[] } | undefined;
    const status = data?.httpStatus ?? (err.meta?.response as Response | undefined)?.status;
    if (status === 401) return { code: EXIT.usage, message: 'Missing or invalid API token (use --token or ISENGARD_API_TOKEN)', more: [] };
    if (status !== undefined) return { code: byStatus(status), message: err.message, more: others(data?.issues, err.message) };
    return { code: EXIT.jobFailed, message: err.message, more: [] };
  }
  if (err instanceof IsengardHttpError) {
    if (err.status === 401) return { code: EXIT.usage, message: 'Missing or invalid API token (use --token or ISENGARD_API_TOKEN)', more: [] };
    return { code: byStatus(err.status), message: err.message, more: others(err.issues, err.message) };
  }
  const fsCode = (err as { code?: unknown } | null)?.code;
  if (fsCode === 'ENOENT' || fsCode === 'EISDIR' || fsCode === 'EACCES') {
    return { code: EXIT.usage, message: `Cannot read ${(err as { path?: string }).path ?? 'file'}: ${String(fsCode)}`, more: [] };
  }
  return { code: EXIT.jobFailed, message: err instanceof Error ? err.message : String(err), more: [] };
}
