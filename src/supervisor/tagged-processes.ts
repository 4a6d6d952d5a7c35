/**
 * Finds what a supervised process left behind. Every child the supervisor starts gets its own
 * `ISENGARD_SUPERVISOR_TAG` in the environment, and everything it starts inherits it, including a
 * trainer that runs detached in its own process group. When the child dies (or is stopped), any
 * process still carrying its tag is an orphan: its process group is ended, so a killed worker never
 * leaves a trainer holding the GPU.
 */
import fs from 'node:fs';

export const TAG_VAR = 'ISENGARD_SUPERVISOR_TAG';

/** Pids (other than this process) whose environment carries exactly `tag`. */
export function findTagged(tag: string): number[] {
  const needle = Buffer.from(`\0${TAG_VAR}=${tag}\0`);
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      // A leading NUL lets the first variable match too.
      if (Buffer.concat([Buffer.from('\0'), fs.readFileSync(`/proc/${entry}/environ`)]).includes(needle) && !isZombie(pid)) pids.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function isZombie(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** Process group of `pid` (field 5 of /proc/PID/stat), or null when it is gone. */
export function processGroupOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[2]);
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends every process group holding a process tagged `tag`: SIGTERM, then SIGKILL after `graceMs`.
 * Returns the groups it signalled. Never signals this process's own group.
 */
export async function endTagged(tag: string, graceMs: number): Promise<number[]> {
  const ownGroup = processGroupOf(process.pid);
  const groups = new Set<number>();
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of findTagged(tag)) {
      const group = processGroupOf(pid);
      const target = group && group > 1 && group !== ownGroup ? -group : pid;
      if (target < 0) groups.add(-target);
      try {
        process.kill(target, signal);
      } catch {
        // already gone
      }
    }
  };
  signalAll('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (findTagged(tag).length > 0 && Date.now() < deadline) await sleep(100);
  if (findTagged(tag).length > 0) signalAll('SIGKILL');
  for (let i = 0; i < 50 && findTagged(tag).length > 0; i++) await sleep(100);
  return [...groups];
}
