import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { killStaleTrainer, pidFile, recordTrainerPid } from './stale-trainer.js';

const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const cmdline = (pid: number) => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/**
 * Detached like the real trainer, with the config path on its command line. `python3` may be a shim
 * (pyenv) whose command line changes as it execs the real interpreter, so the sleeper is this very
 * node binary (an absolute path, no shim), and the test waits until the kernel shows the config path.
 */
async function sleeper(configPath: string) {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)', configPath], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid!;
  for (let i = 0; i < 250 && !cmdline(pid).includes(configPath); i++) await new Promise((r) => setTimeout(r, 20));
  expect(cmdline(pid)).toContain(configPath);
  return pid;
}

describe('stale trainer clean-up', () => {
  it('kills the process group a lost worker left running for this config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-'));
    const config = path.join(dir, 'config.yaml');
    const pid = await sleeper(config);
    recordTrainerPid(dir, pid);
    expect(alive(pid)).toBe(true);
    expect(killStaleTrainer(dir, config)).toBe(pid);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
    expect(fs.existsSync(pidFile(dir))).toBe(false);
  });

  it('leaves a process alone whose command line is not this trainer (recycled pid)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-'));
    const other = await sleeper(path.join(dir, 'other.yaml'));
    recordTrainerPid(dir, other);
    expect(killStaleTrainer(dir, path.join(dir, 'config.yaml'))).toBeNull();
    expect(alive(other)).toBe(true);
    process.kill(-other, 'SIGKILL');
  });

  it('does nothing without a pid file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stale-'));
    expect(killStaleTrainer(dir, path.join(dir, 'config.yaml'))).toBeNull();
  });
});
