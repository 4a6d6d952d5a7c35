/** ComfyUI reachable (with its version) at every configured URL, and each model file of the models list present. */
import path from 'node:path';
import type { ReadinessItem } from '../../readiness.js';
import { comfyuiUrlsOf, type Config } from '../config.js';
import { findPresent, loadModelsManifest, ModelsManifestError } from '../models-manifest.js';

async function systemStats(url: string, timeoutMs: number): Promise<{ version: string; devices: string[] } | { error: string }> {
  try {
    const res = await fetch(new URL('/system_stats', url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { error: `GET /system_stats answered ${res.status}` };
    const body = (await res.json()) as { system?: { comfyui_version?: string }; devices?: Array<{ name?: string }> };
    return { version: body.system?.comfyui_version ?? 'unknown version', devices: (body.devices ?? []).map((d) => d.name ?? '?') };
  } catch (err) {
    let e = err as { message?: string; code?: string; cause?: unknown };
    while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
    return { error: e?.code ?? e?.message ?? String(err) };
  }
}

export async function checkComfyui(config: Config, timeoutMs: number): Promise<ReadinessItem[]> {
  const items: ReadinessItem[] = [];
  for (const { label, url } of comfyuiUrlsOf(config)) {
    const id = label ? `comfyui:${label}` : 'comfyui';
    const stats = await systemStats(url, timeoutMs);
    if ('error' in stats) {
      const port = new URL(url).port || '8188';
      const gpu = label?.startsWith('gpu ') ? `CUDA_VISIBLE_DEVICES=${label.slice(4)} ` : '';
      items.push({ id, status: 'fail', message: `ComfyUI not reachable at ${url} (${stats.error})`, fix: `start it: cd ${config.COMFYUI_DIR} && ${gpu}python main.py --port ${port}` });
    } else {
      items.push({ id, status: 'ok', message: `ComfyUI ${stats.version} at ${url}${stats.devices.length ? ` on ${stats.devices.join(', ')}` : ''}` });
    }
  }
  let models;
  try {
    models = loadModelsManifest(config.ISENGARD_MODELS_MANIFEST).models;
  } catch (err) {
    if (!(err instanceof ModelsManifestError)) throw err;
    items.push({ id: 'models', status: 'fail', message: err.message, fix: 'fix ISENGARD_MODELS_MANIFEST or unset it to use workflows/models.json' });
    return items;
  }
  for (const entry of models) {
    const found = findPresent(config.COMFYUI_DIR, entry);
    const id = `model:${entry.name}`;
    if (!found) {
      const where = path.join(config.COMFYUI_DIR, 'models', entry.folder);
      const fix = entry.gated && !config.HF_TOKEN ? 'set HF_TOKEN (and accept the licence on Hugging Face), then run ./start.sh models' : 'run ./start.sh models';
      items.push({ id, status: 'fail', message: `${entry.name} missing from ${where}`, fix });
    } else if (entry.size !== null && found.size !== entry.size) {
      items.push({ id, status: 'warn', message: `${found.path} is ${found.size} bytes, the models list says ${entry.size}`, fix: 'delete it and run ./start.sh models' });
    } else {
      items.push({ id, status: 'ok', message: `${path.relative(config.COMFYUI_DIR, found.path)}` });
    }
  }
  return items;
}
