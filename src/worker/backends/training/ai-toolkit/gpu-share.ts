/**
 * A ComfyUI on the same GPU keeps FLUX loaded (tens of GB) after a generation, and a training
 * started next to it runs out of memory. Before the trainer starts, ComfyUI is asked to let go:
 * `POST /free {"unload_models": true, "free_memory": true}` only sets flags that ComfyUI's prompt
 * worker acts on as soon as it is idle, well within the time the trainer needs to import torch and
 * load its own model, so there is nothing to wait for here.
 */
import { comfyuiUrlFor, type Config } from '../../../../shared/node/config.js';
import type { JobLogger } from '../../../../shared/node/job-logger.js';

/** The ComfyUI sharing this worker's GPU, or null: none configured, or COMFYUI_URLS gives this GPU none. */
export function comfyuiOnThisGpu(config: Config): string | null {
  if (config.IMAGE_BACKEND !== 'comfyui') return null;
  const { url, dedicated } = comfyuiUrlFor(config);
  // With a per-GPU map, a GPU missing from it has no ComfyUI of its own; COMFYUI_URL then runs elsewhere.
  if (config.COMFYUI_URLS && !dedicated) return null;
  return url;
}

function causeText(err: unknown): string {
  let e = err as { message?: string; code?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message || e?.code || String(err);
}

/** Never throws: a ComfyUI that is down holds no memory, and a failed request is only a warning. */
export async function freeComfyuiMemory(url: string, logger: JobLogger, timeoutMs = 10_000, purpose: 'training' | 'captioning' = 'training'): Promise<boolean> {
  try {
    const res = await fetch(new URL('/free', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ unload_models: true, free_memory: true }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    logger.info(`Asked ComfyUI at ${url} to unload its models and free GPU memory before ${purpose} (POST /free)`, 'comfyui.free', { comfyui_url: url });
    return true;
  } catch (err) {
    logger.warning(
      `Could not ask ComfyUI at ${url} to free GPU memory (${causeText(err)}); ${purpose} starts anyway, and runs out of memory if ComfyUI still holds FLUX on this GPU`,
      'comfyui.free_failed',
      { comfyui_url: url },
    );
    return false;
  }
}
