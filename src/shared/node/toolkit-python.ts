/**
 * Whether AI_TOOLKIT_PYTHON can start a training. `python --version` proves nothing on a pod: a
 * system python3 runs but lacks torch, and the first job then dies on an import. So the python
 * imports what ai-toolkit's run.py imports (`torch`, `toolkit.job`) inside AI_TOOLKIT_DIR.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const IMPORT_CHECK = 'import sys, torch, toolkit.job; print(sys.version.split()[0], torch.__version__)';

export type ToolkitCheck = { ok: true; python: string; versions: string } | { ok: false; python: string; reason: string };

/**
 * Recent checks in this process, by python and folder. A cold `import torch` costs seconds and
 * memory on a pod, and a worker asks twice in its first second (backend init, readiness report)
 * and then every minute: a caller passing `maxAgeMs` takes a result (or a check in flight) that
 * young instead of starting another python.
 */
const recent = new Map<string, { at: number; result: Promise<ToolkitCheck> }>();

/** Runs `$python -c "import torch, toolkit.job"` in the toolkit folder; never throws. */
export function checkToolkitPython(
  python: string,
  toolkitDir: string,
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; maxAgeMs?: number } = {},
): Promise<ToolkitCheck> {
  const key = `${python}\0${path.resolve(toolkitDir)}`;
  const hit = recent.get(key);
  if (opts.maxAgeMs !== undefined && hit && Date.now() - hit.at <= opts.maxAgeMs) return hit.result;
  const result = runCheck(python, toolkitDir, opts);
  recent.set(key, { at: Date.now(), result });
  return result;
}

function runCheck(python: string, toolkitDir: string, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<ToolkitCheck> {
  const dir = path.resolve(toolkitDir);
  if (!existsSync(path.join(dir, 'run.py'))) {
    return Promise.resolve({ ok: false, python, reason: `${path.join(dir, 'run.py')} is missing (set AI_TOOLKIT_DIR to the ai-toolkit checkout)` });
  }
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const child = spawn(python, ['-c', IMPORT_CHECK], {
      cwd: dir,
      env: { ...process.env, ...opts.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 180_000, // a cold `import torch` on a network volume is slow
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => resolve({ ok: false, python, reason: `'${python}' does not run (${e.message}); set AI_TOOLKIT_PYTHON or create ${path.join(dir, 'venv')}` }));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve({ ok: true, python, versions: out.trim() });
      const last = err.trim().split('\n').filter(Boolean).at(-1) ?? (signal ? `killed by ${signal}` : `exit code ${String(code)}`);
      resolve({ ok: false, python, reason: `'${python}' cannot import torch and toolkit.job in ${dir}: ${last}` });
    });
  });
}

