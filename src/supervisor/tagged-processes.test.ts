import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { endTagged, findTagged, processGroupOf, TAG_VAR } from './tagged-processes.js';

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

/** A detached process group (like a trainer) whose leader also has a child, all tagged `tag`. */
function detachedGroup(tag: string, script = 'setTimeout(() => {}, 60000)') {
  const child = spawn(process.execPath, ['-e', `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(script)}], { stdio: 'ignore' }); ${script}`], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [TAG_VAR]: tag },
  });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

async function until(check: () => boolean, ms = 5000) {
  for (const end = Date.now() + ms; !check() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25));
  return check();
}

describe('tagged processes', () => {
  it('finds every process carrying the tag, and only those', async () => {
    const tag = `t-${process.pid}-${Date.now()}`;
    const leader = detachedGroup(tag);
    const other = detachedGroup(`${tag}-other`);
    expect(await until(() => findTagged(tag).length === 2)).toBe(true);
    expect(findTagged(tag)).toContain(leader);
    expect(findTagged(tag)).not.toContain(other);
    expect(processGroupOf(leader)).toBe(leader);
  });

  it('ends the whole group of a tagged orphan, and leaves other groups alone', async () => {
    const tag = `t-${process.pid}-${Date.now()}`;
    const leader = detachedGroup(tag);
    const other = detachedGroup(`${tag}-other`);
    expect(await until(() => findTagged(tag).length === 2)).toBe(true);
    expect(await endTagged(tag, 2000)).toEqual([leader]);
    expect(findTagged(tag)).toEqual([]);
    expect(findTagged(`${tag}-other`)).toContain(other);
  });

  it('a group that ignores SIGTERM is killed after the grace period', async () => {
    const tag = `t-${process.pid}-${Date.now()}`;
    detachedGroup(tag, "process.on('SIGTERM', () => {}); setTimeout(() => {}, 60000)");
    expect(await until(() => findTagged(tag).length === 2)).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // let the handlers install
    await endTagged(tag, 300);
    expect(findTagged(tag)).toEqual([]);
  });
});
