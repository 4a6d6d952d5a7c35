/** Display formatting shared by pages. */
export function formatDuration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(rest).padStart(2, '0')}s`;
  return `${rest}s`;
}

export const formatPercent = (fraction: number) => `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)} %`;

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function formatLoss(loss: number | undefined): string {
  if (loss === undefined) return '—';
  return loss < 0.001 ? loss.toExponential(2) : loss.toFixed(4);
}

/** Parameter values as a person reads them: small floats in exponent form (5e-5). */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 0.001) return value.toExponential();
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** LoRA strengths as the evaluation grid labels them: 1 → "1.0", 0.8 → "0.8", 0.75 → "0.75". */
export const formatStrength = (s: number) => (Number.isInteger(s) ? s.toFixed(1) : String(s));
