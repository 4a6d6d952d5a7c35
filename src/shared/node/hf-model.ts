/**
 * Where FLUX_MODEL comes from: a local folder, or a Hugging Face hub id that diffusers downloads
 * into the hub cache (`$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`), in
 * folders named `models--<org>--<name>` with the files under `snapshots/<revision>/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type FluxModelSource =
  | { kind: 'local'; path: string; exists: boolean }
  | { kind: 'hub'; id: string; cacheDir: string; cached: boolean };

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export function hubCacheDir(env: { HF_HOME?: string; HF_HUB_CACHE?: string } = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return path.join(env.HF_HOME ?? path.join(os.homedir(), '.cache', 'huggingface'), 'hub');
}

export function fluxModelSource(model: string, env: { HF_HOME?: string; HF_HUB_CACHE?: string } = process.env): FluxModelSource {
  const looksLocal = path.isAbsolute(model) || model.startsWith('.') || !HUB_ID.test(model);
  if (looksLocal || existsSync(model)) return { kind: 'local', path: path.resolve(model), exists: existsSync(model) };
  const cacheDir = hubCacheDir(env);
  const snapshots = path.join(cacheDir, `models--${model.replace('/', '--')}`, 'snapshots');
  let cached: boolean;
  try {
    cached = readdirSync(snapshots).some((rev) => readdirSync(path.join(snapshots, rev)).length > 0);
  } catch {
    cached = false;
  }
  return { kind: 'hub', id: model, cacheDir, cached };
}
