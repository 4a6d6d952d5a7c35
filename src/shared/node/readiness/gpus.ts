/** GPUs as the driver sees them: `nvidia-smi --query-gpu=name,memory.total --format=csv,noheader`. */
import { execFile } from 'node:child_process';
import type { ReadinessItem } from '../../readiness.js';

export interface Gpu {
  name: string;
  memory: string;
}

/** `NVIDIA A100-SXM4-80GB, 81920 MiB` per line → [{name, memory}]. */
export function parseNvidiaSmi(stdout: string): Gpu[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const at = line.lastIndexOf(',');
      return at < 0 ? { name: line, memory: '?' } : { name: line.slice(0, at).trim(), memory: line.slice(at + 1).trim() };
    });
}

export function queryGpus(env: NodeJS.ProcessEnv = process.env): Promise<{ gpus: Gpu[] } | { error: string }> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', ['--query-gpu=name,memory.total', '--format=csv,noheader'], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        resolve({ error: code === 'ENOENT' ? 'nvidia-smi not found' : (stderr.trim() || stdout.trim() || err.message).split('\n')[0]! });
        return;
      }
      resolve({ gpus: parseNvidiaSmi(stdout) });
    });
  });
}

export async function checkGpus(needed: boolean, env?: NodeJS.ProcessEnv): Promise<ReadinessItem> {
  const result = await queryGpus(env);
  if ('gpus' in result && result.gpus.length > 0) {
    const list = result.gpus.map((g, i) => `${i}: ${g.name} (${g.memory})`).join(', ');
    return { id: 'gpus', status: 'ok', message: `${result.gpus.length} GPU${result.gpus.length === 1 ? '' : 's'}: ${list}` };
  }
  const why = 'error' in result ? result.error : 'nvidia-smi lists no GPU';
  if (!needed) return { id: 'gpus', status: 'ok', message: `no GPU seen (${why}); not needed: both backends are mock (fast-test)` };
  return { id: 'gpus', status: 'fail', message: `no GPU seen (${why})`, fix: 'run on a GPU pod with the NVIDIA driver (nvidia-smi must list the GPUs)' };
}
