/**
 * Environment (docs/contracts.md), parsed once with zod. A bad value is reported with the variable's
 * name; entry points call `loadConfigOrExit` so the process exits 1 with that sentence.
 */
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

const envSchema = z.object({
  ISENGARD_MODE: z.enum(MODES).default('production'),
  TRAINING_BACKEND: z.enum(['ai-toolkit', 'mock']).optional(),
  IMAGE_BACKEND: z.enum(['comfyui', 'mock']).optional(),
  VOLUME_ROOT: z.string().min(1).default('/runpod-volume/isengard'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379/0'),
  COMFYUI_URL: url(['http:', 'https:']).default('http://127.0.0.1:8188'),
  COMFYUI_DIR: z.string().min(1).default('/comfyui'),
  AI_TOOLKIT_DIR: z.string().min(1).default('/ai-toolkit'),
  AI_TOOLKIT_PYTHON: z.string().min(1).default('python3'),
  FLUX_MODEL: z.string().min(1).default('black-forest-labs/FLUX.1-dev'),
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

export type Config = Omit<z.infer<typeof envSchema>, 'TRAINING_BACKEND' | 'IMAGE_BACKEND'> & {
  TRAINING_BACKEND: 'ai-toolkit' | 'mock';
  IMAGE_BACKEND: 'comfyui' | 'mock';
};

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
    TRAINING_BACKEND: c.TRAINING_BACKEND ?? (fast ? 'mock' : 'ai-toolkit'),
    IMAGE_BACKEND: c.IMAGE_BACKEND ?? (fast ? 'mock' : 'comfyui'),
  };
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
