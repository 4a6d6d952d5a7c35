/**
 * Environment (docs/contracts.md), parsed once with zod. A bad value is reported with the variable's
 * name; entry points call `loadConfigOrExit` so the process exits 1 with that sentence.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { assertVolumeWritable } from './volume.js';
import { allowedHostsSchema, trustProxySchema } from './security-config.js';

const MODES = ['production', 'fast-test'] as const;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a ${protocols.join(' or ')} URL`);

const GPU_ID = /^[A-Za-z0-9_-]+$/;

/** `0=http://…,1=http://…` → {"0": "http://…", "1": "http://…"}; every entry must be `gpu=url`. */
const comfyuiUrls = z.string().transform((value, ctx) => {
  const map: Record<string, string> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const gpu = part.slice(0, eq).trim();
    const target = part.slice(eq + 1).trim();
    let ok = eq > 0 && GPU_ID.test(gpu);
    try {
      ok &&= ['http:', 'https:'].includes(new URL(target).protocol);
    } catch {
      ok = false;
    }
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `'${part}' is not gpu=http(s)-URL (example: 0=http://127.0.0.1:8188,1=http://127.0.0.1:8189)` });
      return z.NEVER;
    }
    if (map[gpu] !== undefined) {
      ctx.addIssue({ code: 'custom', message: `GPU ${gpu} is listed twice` });
      return z.NEVER;
    }
    map[gpu] = target;
  }
  if (Object.keys(map).length === 0) {
    ctx.addIssue({ code: 'custom', message: 'lists no gpu=URL pair' });
    return z.NEVER;
  }
  return map;
});

const envSchema = z.object({
  ISENGARD_MODE: z.enum(MODES).default('production'),
  TRAINING_BACKEND: z.enum(['ai-toolkit', 'mock']).optional(),
  IMAGE_BACKEND: z.enum(['comfyui', 'mock']).optional(),
  CAPTION_BACKEND: z.enum(['florence2', 'mock']).optional(),
  VOLUME_ROOT: z.string().min(1).default('/runpod-volume/isengard'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
  COMFYUI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8188'),
  COMFYUI_DIR: z.string().min(1).default('/comfyui'),
  AI_TOOLKIT_DIR: z.string().min(1).default('/ai-toolkit'),
  /** Unset: `$AI_TOOLKIT_DIR/venv/bin/python` when that exists (ai-toolkit installs into it), else `python3`. */
  AI_TOOLKIT_PYTHON: z.string().min(1).optional(),
  FLUX_MODEL: z.string().min(1).default('black-forest-labs/FLUX.1-dev'),
  /** Hugging Face token for gated models (FLUX.1-dev). Never logged. */
  HF_TOKEN: z.string().min(1).optional(),
  /** Hugging Face cache root (hub downloads land in `$HF_HOME/hub`); put it on the volume. */
  HF_HOME: z.string().min(1).optional(),
  /** One ComfyUI per GPU: `0=http://127.0.0.1:8188,1=http://127.0.0.1:8189`, keyed by CUDA_VISIBLE_DEVICES. */
  COMFYUI_URLS: comfyuiUrls.optional(),
  /** The GPU(s) this worker sees; selects its ComfyUI from COMFYUI_URLS. */
  CUDA_VISIBLE_DEVICES: z.string().optional(),
  /** Another models list for `./start.sh models` and the doctor (mirrors, tests). */
  ISENGARD_MODELS_MANIFEST: z.string().min(1).optional(),
  ISENGARD_API_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z.enum(LEVELS).default('info'),
  /** Worker: name shown in records and logs. */
  WORKER_NAME: z.string().min(1).optional(),
  /** Worker: seconds a SIGTERM waits for the running job before cancelling it. */
  WORKER_STOP_GRACE_SECONDS: z.coerce.number().min(0).max(3600).default(30),
  /** Mutations per client per minute. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(120),
  /** Failed authentications per client per minute (any route), in a bucket of their own. */
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100000).default(20),
  /** Which proxies in front of the API may say who the client is (X-Forwarded-For): off, a hop count or CIDRs. */
  TRUST_PROXY: trustProxySchema.prefault('off'),
  /** Host names (besides HOST and loopback names) the API answers to; `*.example.com` allows subdomains. */
  ISENGARD_ALLOWED_HOSTS: allowedHostsSchema.prefault(''),
  /** A browser session ends after this many minutes without a request. */
  SESSION_IDLE_MINUTES: z.coerce.number().int().min(1).max(525600).default(720),
  /** ComfyUI: seconds one image may take before the job fails. */
  COMFYUI_TIMEOUT_SECONDS: z.coerce.number().min(1).max(86400).default(600),
  /** Finished jobs older than this many days move from Redis to the archive on the volume; unset = keep forever. */
  JOB_RETENTION_DAYS: z.coerce.number().int('must be a whole number of days').min(1).max(36500).optional(),
  /** Mock trainer: milliseconds per step (fast-test speed). */
  MOCK_STEP_MS: z.coerce.number().min(0).max(60000).default(5),
});

export type Config = Omit<z.infer<typeof envSchema>, 'TRAINING_BACKEND' | 'IMAGE_BACKEND' | 'CAPTION_BACKEND' | 'AI_TOOLKIT_PYTHON'> & {
  TRAINING_BACKEND: 'ai-toolkit' | 'mock';
  IMAGE_BACKEND: 'comfyui' | 'mock';
  CAPTION_BACKEND: 'florence2' | 'mock';
  AI_TOOLKIT_PYTHON: string;
};

/** ai-toolkit's install guide makes a venv inside its folder; its python is the one with torch. */
export function defaultToolkitPython(toolkitDir: string): string {
  const venv = path.join(path.resolve(toolkitDir), 'venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

/**
 * The ComfyUI this process's GPU should use: COMFYUI_URLS by CUDA_VISIBLE_DEVICES (the whole value,
 * then its first id), else COMFYUI_URL. `dedicated` says the URL came from the per-GPU map.
 */
export function comfyuiUrlFor(config: Pick<Config, 'COMFYUI_URL' | 'COMFYUI_URLS' | 'CUDA_VISIBLE_DEVICES'>): { url: string; dedicated: boolean } {
  const gpus = config.CUDA_VISIBLE_DEVICES?.trim();
  const map = config.COMFYUI_URLS;
  if (map && gpus) {
    const hit = map[gpus] ?? map[gpus.split(',')[0]!.trim()];
    if (hit) return { url: hit, dedicated: true };
  }
  return { url: config.COMFYUI_URL, dedicated: false };
}

export class ConfigError extends Error {}

/** Parses an environment; throws ConfigError naming the first bad variable. */
export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const cleaned = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = String(issue.path[0]);
    throw new ConfigError(`Invalid environment variable ${name}=${JSON.stringify(env[name])}: ${issue.message}`);
  }
  const c = result.data;
  const fast = c.ISENGARD_MODE === 'fast-test';
  return {
    ...c,
    VOLUME_ROOT: path.resolve(c.VOLUME_ROOT),
    ISENGARD_ALLOWED_HOSTS: [...c.ISENGARD_ALLOWED_HOSTS, ...runpodProxyHost(env.RUNPOD_POD_ID, c.PORT)],
    AI_TOOLKIT_PYTHON: c.AI_TOOLKIT_PYTHON ?? defaultToolkitPython(c.AI_TOOLKIT_DIR),
    TRAINING_BACKEND: c.TRAINING_BACKEND ?? (fast ? 'mock' : 'ai-toolkit'),
    IMAGE_BACKEND: c.IMAGE_BACKEND ?? (fast ? 'mock' : 'comfyui'),
    CAPTION_BACKEND: c.CAPTION_BACKEND ?? (fast ? 'mock' : 'florence2'),
  };
}

/** On a RunPod pod, its HTTP proxy name for our port (`https://<pod id>-<port>.proxy.runpod.net`) is ours too. */
function runpodProxyHost(podId: string | undefined, port: number): string[] {
  return podId && /^[a-z0-9]{1,64}$/i.test(podId) ? [`${podId.toLowerCase()}-${port}.proxy.runpod.net`] : [];
}

/** Every ComfyUI the workers use: one per COMFYUI_URLS entry (labelled `gpu N`), else COMFYUI_URL. */
export function comfyuiUrlsOf(config: Pick<Config, 'COMFYUI_URL' | 'COMFYUI_URLS'>): Array<{ label: string | null; url: string }> {
  if (!config.COMFYUI_URLS) return [{ label: null, url: config.COMFYUI_URL }];
  return Object.entries(config.COMFYUI_URLS).map(([gpu, url]) => ({ label: `gpu ${gpu}`, url }));
}

export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    const config = parseConfig(env);
    assertVolumeWritable(config.VOLUME_ROOT);
    return config;
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.message.startsWith('VOLUME_ROOT'))) {
      process.stderr.write(`isengard: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
