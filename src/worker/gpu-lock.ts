/**
 * One job at a time per GPU across both queues: a FIFO lock whose waiters may give up — a job
 * waiting here while another worker sits idle is better handed to that worker.
 */
type Waiter = (granted: boolean) => void;

export interface AcquireOptions {
  /** Asked every `checkMs` while waiting; true = stop waiting, acquire resolves false. */
  giveUp?: () => Promise<boolean>;
  checkMs?: number;
}

export interface JobLock {
  readonly busy: boolean;
  acquire(opts?: AcquireOptions): Promise<boolean>;
  release(): void;
}

export class GpuLock implements JobLock {
  private held = false;
  private readonly waiters: Waiter[] = [];

  get busy(): boolean {
    return this.held;
  }

  acquire(opts: AcquireOptions = {}): Promise<boolean> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = (granted) => {
        clearTimeout(timer);
        resolve(granted);
      };
      this.waiters.push(waiter);
      const { giveUp, checkMs = 2000 } = opts;
      if (!giveUp) return;
      const check = async () => {
        const stop = await giveUp().catch(() => false);
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return; // granted meanwhile
        if (stop) {
          this.waiters.splice(index, 1);
          waiter(false);
        } else {
          timer = setTimeout(() => void check(), checkMs);
        }
      };
      timer = setTimeout(() => void check(), checkMs);
    });
  }

  /** Hands the lock straight to the first waiter, so nobody can slip in between. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next(true);
    else this.held = false;
  }
}

/** `per-queue` mode: no cross-queue lock. */
export const noLock: JobLock = { busy: false, acquire: async () => true, release: () => undefined };
