/** The purge preview as lines a person reads (SPA dialog and CLI): what goes, counts and bytes. */
export interface PurgeCount {
  count: number;
  bytes: number;
}

export interface PurgePreviewLike {
  photos: PurgeCount;
  captions: PurgeCount;
  snapshots: PurgeCount;
  loras: PurgeCount;
  checkpoints: PurgeCount;
  samples: PurgeCount;
  generated_images: PurgeCount;
  job_logs: PurgeCount;
  active_jobs: string[];
  total_bytes: number;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

const ROWS: [keyof Omit<PurgePreviewLike, 'active_jobs' | 'total_bytes'>, string][] = [
  ['photos', 'photos'],
  ['captions', 'captions'],
  ['snapshots', 'dataset snapshots'],
  ['loras', 'LoRAs'],
  ['checkpoints', 'checkpoints'],
  ['samples', 'training samples'],
  ['generated_images', 'generated images'],
];

export function purgePreviewLines(p: PurgePreviewLike): string[] {
  const lines = ROWS.map(([key, label]) => `${p[key].count} ${label} (${formatBytes(p[key].bytes)})`);
  lines.push(`${p.job_logs.count} job logs rewritten to ids and events (no prompts)`);
  if (p.active_jobs.length > 0) lines.push(`${p.active_jobs.length} running or queued jobs cancelled first: ${p.active_jobs.join(', ')}`);
  lines.push(`${formatBytes(p.total_bytes)} freed in total`);
  return lines;
}
