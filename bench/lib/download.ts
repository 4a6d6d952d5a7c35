/** Reads a response body fully through fetch, counting bytes (nothing is kept). */
import { performance } from 'node:perf_hooks';

/** With `maxBytes`, stops (cancels the body) once that many bytes have arrived. */
export async function download(url: string, headers: Record<string, string> = {}, maxBytes = Infinity): Promise<{ status: number; bytes: number; ms: number }> {
  const started = performance.now();
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
  let bytes = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes >= maxBytes) {
        await reader.cancel();
        break;
      }
    }
  }
  return { status: res.status, bytes, ms: performance.now() - started };
}
