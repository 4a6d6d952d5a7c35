/** One job at a time per GPU across both queues: a FIFO mutex. */
export class GpuLock {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const previous = this.tail;
    this.tail = previous.then(() => next);
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** `per-queue` mode: no cross-queue lock. */
export const noLock = { run: <T>(fn: () => Promise<T>): Promise<T> => fn() };
