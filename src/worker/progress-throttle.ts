import type { ProgressUpdate } from '../shared/jobs.js';

/**
 * Keeps the latest progress and writes it at most once per `intervalMs` (≤ ~4/s per
 * job). `flush` writes whatever is pending now; writes never overlap.
 */
export class ProgressThrottle {
  private pending: ProgressUpdate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (update: ProgressUpdate) => Promise<void>,
    private readonly intervalMs = 250,
  ) {}

  push(update: ProgressUpdate): void {
    this.pending = update;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const update = this.pending;
    this.pending = null;
    if (update) {
      this.lastWrite = Date.now();
      this.writing = this.writing.then(() => this.write(update)).catch(() => undefined);
    }
    return this.writing;
  }
}
