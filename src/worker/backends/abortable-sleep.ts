import { JobCancelledError } from './types.js';

/** Sleeps `ms`, rejecting with JobCancelledError as soon as `signal` fires. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new JobCancelledError());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new JobCancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Deterministic PRNG (mulberry32) so mock output depends only on the seed. */
export function seededRandom(seed: number): () => number {
  let a = (seed >>> 0) ^ Math.floor(seed / 0x100000000);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
