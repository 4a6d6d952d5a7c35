/** Samples a process's resident set size from /proc/<pid>/status (Linux). */
import fs from 'node:fs';

export function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export class RssSampler {
  readonly startKb: number;
  peakKb: number;
  lastKb: number;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 10,
  ) {
    this.startKb = rssKb(pid);
    this.peakKb = this.startKb;
    this.lastKb = this.startKb;
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  sample(): void {
    try {
      this.lastKb = rssKb(this.pid);
      this.peakKb = Math.max(this.peakKb, this.lastKb);
      this.samples++;
    } catch {
      /* the process is gone; keep what we have */
    }
  }

  /** Stops sampling; growth = peak − start, in MB. */
  stop(): { startMb: number; peakMb: number; endMb: number; growthMb: number; samples: number } {
    clearInterval(this.timer);
    this.sample();
    const mb = (kb: number) => kb / 1024;
    return { startMb: mb(this.startKb), peakMb: mb(this.peakKb), endMb: mb(this.lastKb), growthMb: mb(this.peakKb - this.startKb), samples: this.samples };
  }
}
