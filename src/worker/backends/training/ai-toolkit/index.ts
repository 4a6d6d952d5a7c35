/**
 * ai-toolkit training backend (docs/contracts.md): writes `workDir/config.yaml`, runs
 * `$AI_TOOLKIT_PYTHON run.py config.yaml` in AI_TOOLKIT_DIR, turns its tqdm bar into job progress,
 * records checkpoints and samples as they appear, and returns the final `<name>.safetensors`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { aiToolkitTraining } from '../../../../shared/manifests.js';
import type { Config } from '../../../../shared/node/config.js';
import {
  JobCancelledError,
  NonRetryableError,
  type JobContext,
  type TrainingBackend,
  type TrainingInput,
  type TrainingResult,
} from '../../types.js';
import { OutputWatcher } from './output-watcher.js';
import { buildTrainerConfig, renderTrainerYaml, summarizeTrainerConfig } from './trainer-config.js';
import { DEFAULT_KILL_GRACE_MS, startTrainer, type TrainerExit, type TrainerStream } from './trainer-process.js';
import { parseTqdmLine } from './tqdm-parser.js';
import { killStaleTrainer, recordTrainerPid } from './stale-trainer.js';

export interface AiToolkitBackendOptions {
  /** Added to the trainer's environment (tests drive the fake trainer with it). */
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
  /** How often the output folder is scanned. */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 500;
/** Longest error text kept on the job record; the full output is in the job log anyway. */
const MAX_ERROR_CHARS = 6000;

function failureMessage(exit: TrainerExit): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  const tail = exit.stderrTail.length > 0 ? exit.stderrTail : exit.stdoutTail;
  let text = tail.join('\n');
  if (text.length > MAX_ERROR_CHARS) text = '…' + text.slice(-MAX_ERROR_CHARS);
  return text ? `ai-toolkit ${how}:\n${text}` : `ai-toolkit ${how} without output`;
}

function pythonAnswers(python: string, cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(python, ['--version'], { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code === 0 ? out.trim() : null));
  });
}

export function createAiToolkitBackend(config: Config, options: AiToolkitBackendOptions = {}): TrainingBackend {
  const toolkitDir = path.resolve(config.AI_TOOLKIT_DIR);
  const python = config.AI_TOOLKIT_PYTHON;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;

  return {
    name: 'ai-toolkit',
    capabilities: aiToolkitTraining,

    async init(logger: Logger): Promise<void> {
      // Only warn: the API and the mock image path stay useful on a machine without the trainer.
      const runPy = path.join(toolkitDir, 'run.py');
      if (!existsSync(runPy)) {
        logger.warn({ AI_TOOLKIT_DIR: toolkitDir }, `ai-toolkit not found: ${runPy} is missing; training jobs will fail until it is installed`);
      }
      const version = await pythonAnswers(python, existsSync(toolkitDir) ? toolkitDir : process.cwd());
      if (version === null) {
        logger.warn({ AI_TOOLKIT_PYTHON: python }, `ai-toolkit python '${python}' does not run; training jobs will fail`);
      } else {
        logger.info({ AI_TOOLKIT_DIR: toolkitDir, python: version }, 'ai-toolkit backend ready');
      }
    },

    async train(input: TrainingInput, ctx: JobContext): Promise<TrainingResult> {
      if (ctx.signal.aborted) throw new JobCancelledError();
      const trainer = buildTrainerConfig({
        config: input.config,
        character: input.character,
        datasetDir: input.datasetDir,
        workDir: input.workDir,
        fluxModel: config.FLUX_MODEL,
      });
      if (!existsSync(path.join(toolkitDir, 'run.py'))) {
        throw new NonRetryableError(`ai-toolkit not found: ${path.join(toolkitDir, 'run.py')} is missing (AI_TOOLKIT_DIR)`);
      }
      await fs.mkdir(input.workDir, { recursive: true });
      const configPath = path.join(input.workDir, 'config.yaml');
      const stale = killStaleTrainer(input.workDir, configPath);
      if (stale) ctx.logger.warning(`Killed a trainer left running by a lost worker (pid ${stale})`, 'trainer.stale_killed', { pid: stale });
      await fs.writeFile(configPath, renderTrainerYaml(trainer.doc));
      ctx.logger.info('ai-toolkit config written', 'trainer.config', { path: configPath, ...summarizeTrainerConfig(trainer) });

      const saveRoot = path.join(input.workDir, trainer.name);
      const watcher = new OutputWatcher({ saveRoot, jobName: trainer.name, ctx, pollMs });
      let lastSideBar = '';
      const onLine = (stream: TrainerStream, line: string) => {
        if (line.trim() === '') return; // tqdm clears a finished `leave=False` bar with spaces
        const p = parseTqdmLine(line);
        if (!p) {
          ctx.logger.info(line, 'trainer.output', { stream });
          return;
        }
        if (p.desc !== trainer.name) {
          // Latent caching, sample generation, diffusers' own bars: not training progress. Only
          // their final state is worth a log line.
          const key = `${p.desc}|${p.total}`;
          if (p.step === p.total && key !== lastSideBar) ctx.logger.info(line.trim(), 'trainer.output', { stream });
          lastSideBar = p.step === p.total ? key : '';
          return;
        }
        // The training bar refreshes several times a second: it becomes progress, and the processor
        // logs its milestones (every 10 %) in the job log.
        ctx.progress({
          progress: Math.min(1, p.step / p.total),
          current_step: p.step,
          total_steps: p.total,
          loss: p.loss ?? undefined,
          it_per_sec: p.it_per_sec ?? undefined,
          eta_seconds: p.eta_s ?? undefined,
        });
      };

      const started = Date.now();
      const proc = startTrainer({
        python,
        args: ['run.py', configPath],
        cwd: toolkitDir,
        env: options.env,
        killGraceMs,
        onLine,
      });
      recordTrainerPid(input.workDir, proc.pid);
      const onAbort = () => {
        ctx.logger.warning('Stopping trainer (SIGTERM to its process group)', 'trainer.cancel', { pid: proc.pid });
        proc.cancel();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();
      watcher.start();

      let exit: TrainerExit;
      try {
        exit = await proc.wait();
      } catch (err) {
        await watcher.stop();
        throw new NonRetryableError(`Could not start ai-toolkit (${python} run.py): ${String(err)}`, { cause: err });
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      await watcher.stop();
      ctx.logger.info('ai-toolkit exited', 'trainer.exit', {
        code: exit.code,
        signal: exit.signal,
        killed_after_grace: exit.killed || undefined,
        duration_s: Math.round((Date.now() - started) / 100) / 10,
      });

      if (exit.cancelled || ctx.signal.aborted) throw new JobCancelledError();
      if (exit.code !== 0) throw new NonRetryableError(failureMessage(exit));
      const loraPath = path.join(saveRoot, `${trainer.name}.safetensors`);
      if (!existsSync(loraPath)) {
        throw new NonRetryableError(`ai-toolkit exited cleanly but wrote no LoRA at ${loraPath}`);
      }
      return { loraPath, steps: trainer.steps };
    },
  };
}
