/**
 * ai-toolkit training backend (docs/contracts.md): writes `workDir/config.yaml`, runs
 * `$AI_TOOLKIT_PYTHON run.py config.yaml` in AI_TOOLKIT_DIR, turns its tqdm bar into job progress,
 * records checkpoints and samples as they appear, and returns the final `<name>.safetensors`.
 */
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
import { CheckpointRetention } from '../checkpoint-retention.js';
import { OutputWatcher, checkpointPattern, linkOrCopy } from './output-watcher.js';
import { buildTrainerConfig, getPath, renderTrainerYaml, summarizeTrainerConfig } from './trainer-config.js';
import { DEFAULT_KILL_GRACE_MS, startTrainer, type TrainerExit, type TrainerStream } from './trainer-process.js';
import { parseTqdmLine } from './tqdm-parser.js';
import { killStaleTrainer, recordTrainerPid } from './stale-trainer.js';
import { checkToolkitPython, hubTokenWarning } from './startup-checks.js';
import { comfyuiOnThisGpu, freeComfyuiMemory } from './gpu-share.js';

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

/**
 * ai-toolkit resumes from the newest (by ctime) `<name>*.safetensors` in its save folder and takes
 * the step from the file's metadata. A resumed job gets the checkpoint linked in under its step
 * name, unless the folder already holds a save of its own (a re-run after a lost worker), which
 * is newer and must win.
 */
async function placeResumeCheckpoint(saveRoot: string, name: string, from: { path: string; step: number }, ctx: JobContext): Promise<void> {
  await fs.mkdir(saveRoot, { recursive: true });
  const own = (await fs.readdir(saveRoot)).filter((f) => checkpointPattern(name).test(f) || f === `${name}.safetensors`);
  if (own.length > 0) {
    ctx.logger.info(`Resuming from this job's own newest save instead of step ${from.step}`, 'trainer.resume', { step: from.step, own });
    return;
  }
  const dest = path.join(saveRoot, `${name}_${String(from.step).padStart(9, '0')}.safetensors`);
  await linkOrCopy(from.path, dest);
  ctx.logger.info(`Resuming from the checkpoint at step ${from.step}`, 'trainer.resume', { step: from.step, path: dest });
}

/** About how many loss/lr points a run keeps in its job log. */
const STEP_LOG_POINTS = 200;

export function createAiToolkitBackend(config: Config, options: AiToolkitBackendOptions = {}): TrainingBackend {
  const toolkitDir = path.resolve(config.AI_TOOLKIT_DIR);
  const python = config.AI_TOOLKIT_PYTHON;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;

  return {
    name: 'ai-toolkit',
    capabilities: aiToolkitTraining,

    async init(logger: Logger): Promise<void> {
      // Only log: the API and the other queue stay useful on a machine without a working trainer.
      const check = await checkToolkitPython(python, toolkitDir, { env: options.env });
      if (!check.ok) {
        logger.error({ AI_TOOLKIT_DIR: toolkitDir, AI_TOOLKIT_PYTHON: python }, `ai-toolkit is NOT ready: ${check.reason}; training jobs will fail until this is fixed`);
      } else {
        logger.info({ AI_TOOLKIT_DIR: toolkitDir, python, versions: check.versions }, 'ai-toolkit backend ready');
      }
      const tokenWarning = hubTokenWarning(config.FLUX_MODEL, config.HF_TOKEN, { ...process.env, HF_HOME: config.HF_HOME });
      if (tokenWarning) logger.warn({ FLUX_MODEL: config.FLUX_MODEL }, tokenWarning);
    },

    async train(input: TrainingInput, ctx: JobContext): Promise<TrainingResult> {
      if (ctx.signal.aborted) throw new JobCancelledError();
      const trainer = buildTrainerConfig({
        config: input.config,
        character: input.character,
        datasetDir: input.datasetDir,
        workDir: input.workDir,
        fluxModel: config.FLUX_MODEL,
        samplePrompts: input.samplePrompts,
        pretrainedLoraPath: input.initialWeights,
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
      if (input.resumeFrom) await placeResumeCheckpoint(saveRoot, trainer.name, input.resumeFrom, ctx);
      const keep = Number(getPath(trainer.doc, 'config.process.0.save.max_step_saves_to_keep'));
      const watcher = new OutputWatcher({ saveRoot, jobName: trainer.name, ctx, pollMs, retention: new CheckpointRetention(ctx, keep, input.holdCheckpoints) });
      let lastSideBar = '';
      let lastStepLogged = 0;
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
        // logs its milestones (every 10 %) in the job log. Loss and learning rate are also kept about
        // every 0.5 % of the run, so a reloaded chart, a resumed job's history and a downloaded log
        // show the curve (and that the scheduler really moves the rate), not ten points.
        if (p.step === p.total || p.step >= lastStepLogged + Math.max(1, Math.ceil(p.total / STEP_LOG_POINTS))) {
          lastStepLogged = p.step;
          if (p.loss !== null || p.lr !== null) {
            const parts = [p.loss !== null ? `loss ${p.loss_text ?? p.loss}` : null, p.lr !== null ? `lr ${p.lr_text ?? p.lr}` : null].filter(Boolean);
            ctx.logger.info(`Step ${p.step}/${p.total}: ${parts.join(', ')}`, 'trainer.step', {
              step: p.step,
              total_steps: p.total,
              ...(p.loss !== null ? { loss: p.loss } : {}),
              ...(p.lr !== null ? { lr: p.lr } : {}),
            });
          }
        }
        ctx.progress({
          progress: Math.min(1, p.step / p.total),
          current_step: p.step,
          total_steps: p.total,
          loss: p.loss ?? undefined,
          it_per_sec: p.it_per_sec ?? undefined,
          eta_seconds: p.eta_s ?? undefined,
        });
      };

      const sharedComfyui = comfyuiOnThisGpu(config);
      if (sharedComfyui) await freeComfyuiMemory(sharedComfyui, ctx.logger);
      if (ctx.signal.aborted) throw new JobCancelledError();

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
      ctx.logger.info(`ai-toolkit started (pid ${proc.pid})`, 'trainer.start', { pid: proc.pid, python });
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
