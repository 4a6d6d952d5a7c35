/** The module contract: every `bench/*.bench.ts` exports `run(): Promise<BenchResult[]>`. */
export interface BenchResult {
  name: string;
  /** Measured in the same run, on the same machine: the reference the value is compared with. */
  baseline: number;
  value: number;
  /** value / baseline (unless the notes say otherwise). */
  ratio: number;
  unit: string;
  notes: string;
}

export const round = (n: number, digits = 1): number => {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** value / baseline, rounded; NaN when the baseline is zero. */
export const ratioOf = (value: number, baseline: number, digits = 3): number => (baseline === 0 ? Number.NaN : round(value / baseline, digits));
