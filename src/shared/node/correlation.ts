/** Correlation IDs (docs/contracts.md) carried through AsyncLocalStorage. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomHex } from './random-hex.js';

export const CORRELATION_HEADER = 'x-correlation-id';
const VALID = /^[A-Za-z0-9._:-]{1,128}$/;

interface CorrelationStore {
  correlationId: string;
}

const storage = new AsyncLocalStorage<CorrelationStore>();

export function newCorrelationId(prefix = 'api'): string {
  return `${prefix}-${randomHex(6)}`;
}

/** The header's value when valid, otherwise a fresh `api-` + 12 hex. */
export function acceptCorrelationId(value: unknown): string {
  const candidate = Array.isArray(value) ? value[0] : value;
  return typeof candidate === 'string' && VALID.test(candidate) ? candidate : newCorrelationId();
}

export function runWithCorrelation<T>(correlationId: string, fn: () => T): T {
  return storage.run({ correlationId }, fn);
}

export function getCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}
