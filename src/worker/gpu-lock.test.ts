import { describe, expect, it } from 'vitest';
import { GpuLock } from './gpu-lock.js';

describe('GpuLock', () => {
  it('grants one holder at a time, first come first served', async () => {
    const lock = new GpuLock();
    const order: string[] = [];
    expect(await lock.acquire()).toBe(true);
    const b = lock.acquire().then((g) => order.push(`b:${g}`));
    const c = lock.acquire().then((g) => order.push(`c:${g}`));
    expect(lock.busy).toBe(true);
    lock.release();
    await b;
    expect(order).toEqual(['b:true']);
    lock.release();
    await c;
    lock.release();
    expect(order).toEqual(['b:true', 'c:true']);
    expect(lock.busy).toBe(false);
  });

  it('a waiter gives up when asked to, and is skipped on release', async () => {
    const lock = new GpuLock();
    await lock.acquire();
    let asks = 0;
    const quitter = lock.acquire({ checkMs: 10, giveUp: async () => ++asks >= 3 });
    expect(await quitter).toBe(false);
    expect(asks).toBe(3);
    const next = lock.acquire();
    lock.release();
    expect(await next).toBe(true);
  });

  it('a waiter granted the lock while its give-up check runs keeps it', async () => {
    const lock = new GpuLock();
    await lock.acquire();
    const waiting = lock.acquire({
      checkMs: 5,
      giveUp: async () => {
        lock.release(); // the holder finishes during the check
        return true;
      },
    });
    expect(await waiting).toBe(true);
    expect(lock.busy).toBe(true);
  });
});
