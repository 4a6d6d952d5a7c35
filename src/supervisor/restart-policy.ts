/**
 * When a crashed process is started again, and when to stop trying. Backoff doubles from 1 s up to
 * 30 s and starts over after a run long enough to call the process healthy; five crashes within two
 * minutes mean something is wrong that restarting will not fix (a bad config, a full disk, a port in
 * use), so the supervisor gives up and says so instead of looping forever.
 */
export interface RestartPolicyOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** This many crashes inside `windowMs` → give up. */
  maxCrashes: number;
  windowMs: number;
  /** A run at least this long resets the backoff to `initialDelayMs`. */
  healthyRunMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 120_000,
  healthyRunMs: 60_000,
};

export type RestartDecision = { action: 'restart'; delayMs: number; restartCount: number } | { action: 'give-up'; crashes: number; windowMs: number };

export class RestartPolicy {
  private readonly crashTimes: number[] = [];
  private consecutive = 0;
  private restarts = 0;

  constructor(private readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** A crash at `now` of a run that started at `startedAt`: restart after a delay, or give up. */
  crashed(now: number, startedAt: number): RestartDecision {
    this.crashTimes.push(now);
    while (this.crashTimes.length > 0 && now - this.crashTimes[0]! >= this.opts.windowMs) this.crashTimes.shift();
    if (this.crashTimes.length >= this.opts.maxCrashes) {
      return { action: 'give-up', crashes: this.crashTimes.length, windowMs: this.opts.windowMs };
    }
    if (now - startedAt >= this.opts.healthyRunMs) this.consecutive = 0;
    const delayMs = Math.min(this.opts.maxDelayMs, this.opts.initialDelayMs * 2 ** this.consecutive);
    this.consecutive++;
    this.restarts++;
    return { action: 'restart', delayMs, restartCount: this.restarts };
  }
}
