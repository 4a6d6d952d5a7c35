/**
 * The one place domain errors become protocol errors: AppError/ZodError → TRPCError (tRPC) and
 * → status + JSON body (plain HTTP routes).
 */
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { AppError, HTTP_STATUS, type ErrorCode, type ParamIssue } from '../shared/errors.js';
import { isConnectionError, isWriteRefusal, writeRefusalError } from '../shared/node/redis.js';

const TRPC_CODE: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_SUPPORTED',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** `config.steps` → `steps`: the SPA shows an issue next to the control of that name. */
function paramName(path: readonly PropertyKey[]): string {
  const parts = path.map(String);
  if (parts[0] === 'config' && parts.length > 1) parts.shift();
  return parts.join('.') || 'input';
}

export function zodIssues(error: ZodError): ParamIssue[] {
  return error.issues.map((issue) => {
    const param = paramName(issue.path);
    const message = /^(Parameter|Toggle) '/.test(issue.message) ? issue.message : `Parameter '${param}': ${issue.message}`;
    return { param, message };
  });
}

const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = Object.fromEntries(
  Object.entries(TRPC_CODE).map(([app, trpc]) => [trpc, app as ErrorCode]),
);

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof ZodError) return AppError.badRequest(zodIssues(err));
  if (err instanceof TRPCError) {
    if (err.cause instanceof AppError || err.cause instanceof ZodError) return toAppError(err.cause);
    // tRPC's own errors (malformed JSON, body too large, unknown procedure) are client errors.
    if (err.code === 'PARSE_ERROR' || err.cause instanceof SyntaxError) return AppError.badParam('input', `Request body is not valid JSON: ${err.message}`);
    const code = FROM_TRPC[err.code];
    if (code && code !== 'INTERNAL') return new AppError(code, err.message, { cause: err });
    if (err.cause) return toAppError(err.cause);
  }
  if (isWriteRefusal(err)) return writeRefusalError(err);
  if (isConnectionError(err)) return new AppError('SERVICE_UNAVAILABLE', 'Redis is unavailable', { cause: err });
  return new AppError('INTERNAL', 'Internal server error', { cause: err });
}

export function toTRPCError(err: unknown): TRPCError {
  const app = toAppError(err);
  return new TRPCError({ code: TRPC_CODE[app.code], message: app.message, cause: app });
}

export function trpcCodeOf(app: AppError): TRPC_ERROR_CODE_KEY {
  return TRPC_CODE[app.code];
}

export function httpError(err: unknown): { status: number; body: { error: string; issues?: ParamIssue[] }; retryAfter?: number } {
  const app = toAppError(err);
  return {
    status: HTTP_STATUS[app.code],
    body: { error: app.message, ...(app.issues.length ? { issues: app.issues } : {}) },
    retryAfter: app.retryAfter,
  };
}
