/** Small statistics helpers for latency samples. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(samples: number[]): number {
  return percentile(samples, 50);
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` in flight; stops starting new ones after `deadline` (epoch ms). */
export async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>, deadline = Infinity): Promise<number> {
  let next = 0;
  let done = 0;
  const lane = async () => {
    while (next < total && Date.now() < deadline) {
      const i = next++;
      await task(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return done;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
