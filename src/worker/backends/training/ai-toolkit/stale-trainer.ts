/**
 * A worker killed with SIGKILL leaves its trainer's process group running (it is detached), still
 * holding the GPU. When the job is re-run on the same machine, that old group is killed first.
 * The pid file sits in the job's work dir; the command line is checked so a recycled pid is never hit.
 */
import fs from 'node:fs';
import path from 'node:path';

export const pidFile = (workDir: string) => path.join(workDir, 'trainer.pid');

export function recordTrainerPid(workDir: string, pid: number | undefined): void {
  if (pid && pid > 0) fs.writeFileSync(pidFile(workDir), String(pid));
}

/** Kills a leftover trainer group for `configPath`; returns its pid when one was found. */
export function killStaleTrainer(workDir: string, configPath: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile(workDir), 'utf8').trim());
  } catch {
    return null;
  }
  fs.rmSync(pidFile(workDir), { force: true });
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(configPath)) return null;
    process.kill(-pid, 'SIGKILL');
    return pid;
  } catch {
    return null;
  }
}
