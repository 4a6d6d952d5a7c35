/**
 * The one domain error type. Services throw it with a code; the server maps codes to
 * tRPC/HTTP exactly once (src/server/error-mapping.ts).
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_SUPPORTED'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL';

export interface ParamIssue {
  param: string;
  message: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly issues: ParamIssue[];
  /** Seconds, for TOO_MANY_REQUESTS. */
  readonly retryAfter?: number;

  constructor(code: ErrorCode, message: string, opts: { issues?: ParamIssue[]; cause?: unknown; retryAfter?: number } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.issues = opts.issues ?? [];
    this.retryAfter = opts.retryAfter;
  }

  static badRequest(issues: ParamIssue[]): AppError {
    return new AppError('BAD_REQUEST', issues[0]?.message ?? 'Bad request', { issues });
  }

  static badParam(param: string, message: string): AppError {
    return AppError.badRequest([{ param, message }]);
  }

  static notFound(message: string): AppError {
    return new AppError('NOT_FOUND', message);
  }
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
};
