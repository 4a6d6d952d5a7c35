/**
 * The ComfyUI image backend (docs/contracts.md). Start-up loads the eight workflows and refuses a broken
 * one; when ComfyUI answers, the files are also checked against its live `/object_info`, and model
 * files it lacks are reported (not fatal: the other variants still work and the pod may still be
 * downloading). ComfyUI being down at start-up is only a warning — it often starts after us.
 */
import type { Logger } from 'pino';
import { comfyuiImage } from '../../../../shared/manifests.js';
import { comfyuiUrlFor, type Config } from '../../../../shared/node/config.js';
import type { ImageBackend } from '../../types.js';
import { ComfyUIClient, type ClientOptions } from './comfyui-client.js';
import { causeText, ComfyUIUnreachableError } from './comfyui-http.js';
import { generateOnComfyUI } from './generate.js';
import { renderGridOnComfyUI } from './grid.js';
import { checkWorkflows, findWorkflowsDir, formatProblems, loadWorkflows, type WorkflowSet } from './workflow-store.js';
import type { WorkflowProblem } from './workflow-validator.js';

export interface ComfyuiBackendOptions {
  /** Defaults to the repo's `workflows/`. */
  workflowsDir?: string;
  /** Test and bench knobs (poll and reconnect periods). */
  client?: Partial<Omit<ClientOptions, 'url'>>;
}

export function createComfyuiBackend(config: Config, options: ComfyuiBackendOptions = {}): ImageBackend {
  // With COMFYUI_URLS, the ComfyUI running on this worker's own GPU.
  const { url, dedicated } = comfyuiUrlFor(config);
  let client = new ComfyUIClient({ url, ...options.client });
  let loaded: Promise<WorkflowSet> | null = null;
  const dir = () => options.workflowsDir ?? findWorkflowsDir();

  const workflows = (): Promise<WorkflowSet> => {
    loaded ??= (async () => {
      const set = await loadWorkflows(dir());
      const { errors } = checkWorkflows(set, dir());
      if (errors.length > 0) throw new Error(`Broken ComfyUI workflow file(s):\n${formatProblems(errors)}`);
      return set;
    })();
    loaded.catch(() => (loaded = null));
    return loaded;
  };

  return {
    name: 'comfyui',
    capabilities: comfyuiImage,

    async init(logger: Logger): Promise<void> {
      const log = logger.child({ component: 'comfyui', comfyui_url: url });
      if (config.COMFYUI_URLS && !dedicated) {
        log.warn({ CUDA_VISIBLE_DEVICES: config.CUDA_VISIBLE_DEVICES ?? null }, `COMFYUI_URLS has no entry for this worker's GPU; generations go to COMFYUI_URL ${url}`);
      }
      client = new ComfyUIClient({ url, logger: log, ...options.client });
      const set = await workflows();
      let info;
      try {
        info = await client.getObjectInfo();
      } catch (err) {
        const why = err instanceof ComfyUIUnreachableError ? err.message : `ComfyUI at ${url} failed: ${causeText(err)}`;
        log.warn({ comfyui_url: url }, `${why}; workflows checked structurally only, jobs fail until it answers`);
        return;
      }
      const { errors, missingModels } = checkWorkflows(set, dir(), info);
      if (errors.length > 0) {
        throw new Error(`ComfyUI workflow file(s) do not match the ComfyUI at ${url}:\n${formatProblems(errors)}`);
      }
      if (missingModels.length > 0) {
        const models = summarizeMissing(missingModels);
        log.warn({ missing_models: models }, `ComfyUI at ${url} lacks model files: ${models.join(', ')}`);
      }
      const stats = await client.systemStats().catch(() => null);
      log.info(
        {
          comfyui_version: stats?.system.comfyui_version,
          devices: stats?.devices.map((d) => d.name),
          workflows: set.size,
        },
        `ComfyUI ready at ${url}; ${set.size} workflows valid`,
      );
    },

    async generate(input, ctx): Promise<void> {
      await generateOnComfyUI(
        { client, workflows: await workflows(), comfyuiDir: config.COMFYUI_DIR, timeoutMs: config.COMFYUI_TIMEOUT_SECONDS * 1000 },
        input,
        ctx,
      );
    },

    async renderGrid(input, ctx): Promise<void> {
      await renderGridOnComfyUI(
        { client, workflows: await workflows(), comfyuiDir: config.COMFYUI_DIR, timeoutMs: config.COMFYUI_TIMEOUT_SECONDS * 1000 },
        input,
        ctx,
      );
    },
  };
}

const KIND: Record<string, string> = {
  UNETLoader: 'unet',
  DualCLIPLoader: 'clip',
  VAELoader: 'vae',
  UpscaleModelLoader: 'upscale model',
  CheckpointLoaderSimple: 'checkpoint',
};

/** `unet flux1-dev.safetensors` once, however many variants use it. */
function summarizeMissing(problems: WorkflowProblem[]): string[] {
  const seen = new Set<string>();
  for (const p of problems) {
    seen.add(`${KIND[p.classType ?? ''] ?? p.classType} ${String(p.value)}`);
  }
  return [...seen].sort();
}
