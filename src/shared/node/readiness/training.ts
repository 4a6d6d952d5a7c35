/** ai-toolkit installed and importable, HF_TOKEN present, FLUX_MODEL local or cached. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ReadinessItem } from '../../readiness.js';
import type { Config } from '../config.js';
import { fluxModelSource } from '../hf-model.js';
import { checkToolkitPython } from '../toolkit-python.js';

export async function checkToolkit(config: Config, env?: NodeJS.ProcessEnv, maxAgeMs?: number): Promise<ReadinessItem> {
  const dir = path.resolve(config.AI_TOOLKIT_DIR);
  if (!existsSync(path.join(dir, 'run.py'))) {
    return { id: 'ai-toolkit', status: 'fail', message: `no ai-toolkit at ${dir} (run.py missing)`, fix: `git clone https://github.com/ostris/ai-toolkit ${dir} and install it into ${path.join(dir, 'venv')}, or set AI_TOOLKIT_DIR` };
  }
  const check = await checkToolkitPython(config.AI_TOOLKIT_PYTHON, dir, { env, maxAgeMs });
  if (check.ok) return { id: 'ai-toolkit', status: 'ok', message: `${dir} with ${check.python} (python/torch ${check.versions})` };
  return { id: 'ai-toolkit', status: 'fail', message: check.reason, fix: `install ai-toolkit's requirements into ${path.join(dir, 'venv')} (python -m venv venv && venv/bin/pip install torch -r requirements.txt), or set AI_TOOLKIT_PYTHON` };
}

export function checkHfToken(config: Config): ReadinessItem {
  // Only whether it is set: the value is a secret and never leaves the process.
  if (config.HF_TOKEN) return { id: 'hf-token', status: 'ok', message: 'HF_TOKEN is set (not shown)' };
  const source = fluxModelSource(config.FLUX_MODEL, { ...process.env, HF_HOME: config.HF_HOME });
  const needed = source.kind === 'hub' && !source.cached;
  return {
    id: 'hf-token',
    status: needed ? 'fail' : 'warn',
    message: needed ? `HF_TOKEN is not set, and ${config.FLUX_MODEL} (gated) still has to be downloaded for training` : 'HF_TOKEN is not set: gated downloads (FLUX.1-dev) will be refused',
    fix: 'accept the FLUX.1-dev licence on https://huggingface.co/black-forest-labs/FLUX.1-dev and export HF_TOKEN=<a read token>',
  };
}

export function checkFluxModel(config: Config): ReadinessItem {
  const source = fluxModelSource(config.FLUX_MODEL, { ...process.env, HF_HOME: config.HF_HOME });
  if (source.kind === 'local') {
    return source.exists
      ? { id: 'flux-model', status: 'ok', message: `FLUX_MODEL is a local copy at ${source.path}` }
      : { id: 'flux-model', status: 'fail', message: `FLUX_MODEL=${config.FLUX_MODEL} is neither a folder here nor a Hugging Face id`, fix: 'point FLUX_MODEL at a diffusers folder, or use black-forest-labs/FLUX.1-dev' };
  }
  if (source.cached) return { id: 'flux-model', status: 'ok', message: `${source.id} is cached in ${source.cacheDir}` };
  const onVolume = config.HF_HOME ? '' : ' and set HF_HOME to a folder on the volume so it survives a restart';
  return {
    id: 'flux-model',
    status: 'warn',
    message: `${source.id} is not cached in ${source.cacheDir}: the first training downloads it (about 30 GB)`,
    fix: `set HF_TOKEN${onVolume}; the first training fills the cache`,
  };
}
