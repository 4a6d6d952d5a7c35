/**
 * The readiness doctor's answer (`system.readiness`, `./start.sh doctor`, `isengard doctor`, the SPA
 * banner): one item per thing a GPU pod needs, each ok, warn or fail with a one-line fix.
 */
export const READINESS_STATUSES = ['ok', 'warn', 'fail'] as const;
export type ReadinessStatus = (typeof READINESS_STATUSES)[number];

export interface ReadinessItem {
  /** Stable id: `gpus`, `comfyui`, `model:flux1-dev.safetensors`, `ai-toolkit`, `hf-token`, … */
  id: string;
  status: ReadinessStatus;
  message: string;
  /** What to do about a warn or fail, in one line. */
  fix?: string;
}

export interface Readiness {
  items: ReadinessItem[];
}

export function worstStatus(items: readonly ReadinessItem[]): ReadinessStatus {
  if (items.some((i) => i.status === 'fail')) return 'fail';
  if (items.some((i) => i.status === 'warn')) return 'warn';
  return 'ok';
}

/** The text list printed by `./start.sh doctor` and `isengard doctor`. */
export function formatReadiness(items: readonly ReadinessItem[]): string[] {
  const width = Math.max(...items.map((i) => i.id.length));
  const lines: string[] = [];
  for (const item of items) {
    lines.push(`${item.status === 'ok' ? 'ok  ' : item.status.toUpperCase()}  ${item.id.padEnd(width)}  ${item.message}`);
    if (item.fix && item.status !== 'ok') lines.push(`${' '.repeat(width + 8)}fix: ${item.fix}`);
  }
  const fails = items.filter((i) => i.status === 'fail').length;
  const warns = items.filter((i) => i.status === 'warn').length;
  lines.push('', fails + warns === 0 ? `ready: all ${items.length} checks ok` : `${fails} failed, ${warns} warning(s), ${items.length - fails - warns} ok`);
  return lines;
}
