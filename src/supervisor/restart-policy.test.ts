import { describe, expect, it } from 'vitest';
import { RestartPolicy } from './restart-policy.js';

const s = (n: number) => n * 1000;

describe('RestartPolicy', () => {
  it('backs off 1 s, 2 s, 4 s … and never waits more than 30 s', () => {
    const policy = new RestartPolicy();
    const delays: number[] = [];
    let now = 0;
    // One crash every 50 s: never 5 within 2 minutes, never a healthy run of 60 s.
    for (let i = 0; i < 8; i++) {
      const d = policy.crashed(now, now - s(50));
      if (d.action !== 'restart') throw new Error('gave up');
      delays.push(d.delayMs / 1000);
      expect(d.restartCount).toBe(i + 1);
      now += s(50);
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it('gives up on the 5th crash within 2 minutes', () => {
    const policy = new RestartPolicy();
    const decisions = [0, 10, 20, 30, 40].map((t) => policy.crashed(s(t), s(t) - 500));
    expect(decisions.slice(0, 4).map((d) => d.action)).toEqual(['restart', 'restart', 'restart', 'restart']);
    expect(decisions[4]).toEqual({ action: 'give-up', crashes: 5, windowMs: 120_000 });
  });

  it('crashes older than 2 minutes do not count toward giving up', () => {
    const policy = new RestartPolicy();
    for (const t of [0, 10, 20, 30]) expect(policy.crashed(s(t), s(t) - 500).action).toBe('restart');
    expect(policy.crashed(s(125), s(124)).action).toBe('restart'); // the crash at 0 s has left the window
  });

  it('a healthy run (60 s or more) starts the backoff over at 1 s', () => {
    const policy = new RestartPolicy();
    policy.crashed(s(0), 0);
    policy.crashed(s(10), s(9));
    const d = policy.crashed(s(200), s(100));
    expect(d).toEqual({ action: 'restart', delayMs: 1000, restartCount: 3 });
  });
});
