/**
 * Test harness around the fake ai-toolkit: a Config pointing at it, a JobContext with a real
 * JobLogger in a temp dir, a small dataset, and process liveness checks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import sharp from 'sharp';
import type { JobOutput, ProgressUpdate } from '../../../src/shared/jobs.js';
import { parseConfig, type Config } from '../../../src/shared/node/config.js';
import { JobLogger, type JobLogRecord } from '../../../src/shared/node/job-logger.js';
import type { JobContext } from '../../../src/worker/backends/types.js';

export const FAKE_AI_TOOLKIT_DIR = path.dirname(fileURLToPath(import.meta.url));

const created: string[] = [];

export function tmpDir(prefix = 'isengard-aitk-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** For afterAll: removes every tmpDir() this test file made. */
export function removeTmpDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

export function fakeToolkitConfig(volumeRoot: string, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfig({
    VOLUME_ROOT: volumeRoot,
    AI_TOOLKIT_DIR: FAKE_AI_TOOLKIT_DIR, // AI_TOOLKIT_PYTHON defaults to its fake venv/bin/python
    FLUX_MODEL: '/models/FLUX.1-dev',
    ...env,
  });
}

export interface TestJob {
  ctx: JobContext;
  controller: AbortController;
  progress: ProgressUpdate[];
  /** Outputs in the order addOutput saw them, with the time they were recorded. */
  outputs: (JobOutput & { at: number })[];
  /** Names removeOutput was called with (their files are deleted, like the processor does). */
  removed: string[];
  logPath: string;
  readLog(): JobLogRecord[];
}

export function makeJob(root: string, jobId = 'training-0123456789ab'): TestJob {
  const logPath = path.join(root, 'logs', 'jobs', `${jobId}.jsonl`);
  const logger = new JobLogger({ jobId, service: 'worker', logPath, logger: pino({ level: 'silent' }), correlationId: 'test-corr' });
  const controller = new AbortController();
  const progress: ProgressUpdate[] = [];
  const outputs: (JobOutput & { at: number })[] = [];
  const removed: string[] = [];
  const ctx: JobContext = {
    jobId,
    signal: controller.signal,
    logger,
    progress: (u) => progress.push(u),
    addOutput: async (o) => {
      outputs.push({ ...o, at: Date.now() });
    },
    removeOutput: async (name) => {
      removed.push(name);
      fs.rmSync(path.join(root, 'outputs', jobId, name), { force: true });
    },
    outputsDir: path.join(root, 'outputs', jobId),
  };
  const readLog = () =>
    fs.existsSync(logPath)
      ? fs
          .readFileSync(logPath, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as JobLogRecord)
      : [];
  return { ctx, controller, progress, outputs, removed, logPath, readLog };
}

/** Two captioned images, like a character's dataset snapshot. */
export async function makeDataset(dir: string, trigger = 'zxq_person'): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  for (const [i, color] of [{ r: 200, g: 120, b: 90 }, { r: 90, g: 140, b: 200 }].entries()) {
    await sharp({ create: { width: 320, height: 320, channels: 3, background: color } })
      .jpeg()
      .toFile(path.join(dir, `img_${i}.jpg`));
    fs.writeFileSync(path.join(dir, `img_${i}.jpg.txt`), `photo of ${trigger}`);
  }
  return dir;
}

/** True while the process runs; a zombie (exited, not yet reaped by its parent or init) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The default effective config the API stores (every manifest default, unwired ones included). */
export function effectiveConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    steps: 100,
    learning_rate: 0.0001,
    lora_rank: 16,
    resolution: 512,
    batch_size: 1,
    optimizer: 'adamw8bit',
    scheduler: 'cosine',
    precision: 'bf16',
    use_ema: true,
    ema_decay: 0.99,
    sample_every: 250,
    keep_checkpoints: 4,
    gradient_accumulation: 1,
    network_alpha: 16,
    ...overrides,
  };
}

/**
 * Stack env for API → worker → fake trainer tests: the fake folder (its default venv python) and a
 * local model path, as on a pod with the model downloaded (a hub id would need HF_TOKEN).
 */
export function fakeAiToolkitStackEnv(stepMs: number): Record<string, string> {
  return {
    TRAINING_BACKEND: 'ai-toolkit',
    AI_TOOLKIT_DIR: FAKE_AI_TOOLKIT_DIR,
    FLUX_MODEL: '/models/FLUX.1-dev',
    FAKE_AI_TOOLKIT_STEP_MS: String(stepMs),
  };
}
