import { AppError } from '../../shared/errors.js';
import { NonRetryableError } from '../backends/types.js';

/** A character or LoRA that is gone stays gone: make its NOT_FOUND final for the processor. */
export function finalIfNotFound(err: unknown): never {
  if (err instanceof AppError && err.code === 'NOT_FOUND') throw new NonRetryableError(err.message, { cause: err });
  throw err;
}
