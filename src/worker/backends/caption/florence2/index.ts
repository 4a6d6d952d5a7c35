/**
 * Florence-2 caption backend (docs/contracts.md, Captions): one `$AI_TOOLKIT_PYTHON
 * python/florence2_caption.py` per job in its own process group (the trainer's process helpers:
 * SIGTERM to the group on cancel, SIGKILL after the grace period, a stderr tail for failures). The
 * request goes on stdin; captions come back as JSON lines and are handed to the job one by one, in
 * order, as they arrive. ComfyUI on the same GPU is asked to free its memory first.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { florence2Caption } from '../../../../shared/manifests.js';
import type { Config } from '../../../../shared/node/config.js';
import { fluxModelSource } from '../../../../shared/node/hf-model.js';
import { comfyuiOnThisGpu, freeComfyuiMemory } from '../../training/ai-toolkit/gpu-share.js';
import { parseTqdmLine } from '../../training/ai-toolkit/tqdm-parser.js';
import { DEFAULT_KILL_GRACE_MS, startTrainer, type TrainerExit, type TrainerStream } from '../../training/ai-toolkit/trainer-process.js';
import { JobCancelledError, NonRetryableError, type CaptionBackend, type CaptionInput, type CaptionSink, type JobContext } from '../../types.js';
import { findCaptionScript, parseCaptionerLine } from './script.js';

export interface Florence2BackendOptions {
  /** Added to the script's environment (tests drive a fake script with it). */
  env?: NodeJS.ProcessEnv;
  killGraceMs?: number;
  /** Another script speaking the same protocol (tests). */
  script?: string;
}

const TASKS = { short: '<CAPTION>', detailed: '<DETAILED_CAPTION>' } as const;
const MAX_ERROR_CHARS = 4000;

function crashMessage(exit: TrainerExit, fatal: string | null): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
  let tail = (exit.stderrTail.length > 0 ? exit.stderrTail : exit.stdoutTail).join('\n');
  if (tail.length > MAX_ERROR_CHARS) tail = '…' + tail.slice(-MAX_ERROR_CHARS);
  const head = fatal ? `The Florence-2 captioner ${how}: ${fatal}` : `The Florence-2 captioner ${how}`;
  return tail ? `${head}\n${tail}` : `${head} without output`;
}

export function createFlorence2Backend(config: Config, options: Florence2BackendOptions = {}): CaptionBackend {
  const python = config.AI_TOOLKIT_PYTHON;
  const model = florence2Caption.model;
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const hfEnv = config.HF_HOME ? { HF_HOME: config.HF_HOME } : {};

  return {
    name: 'florence2',
    capabilities: florence2Caption,

    async init(logger: Logger): Promise<void> {
      // Only log: the worker stays useful for training and images without a captioner.
      let script: string;
      try {
        script = options.script ?? findCaptionScript();
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'florence2 caption backend is NOT ready: caption jobs will fail');
        return;
      }
      const source = fluxModelSource(model, { ...process.env, ...hfEnv });
      const cached = source.kind === 'hub' ? source.cached : true;
      logger.info({ python, script, model, cached }, cached ? 'florence2 caption backend ready' : `florence2 caption backend ready; ${model} downloads on the first caption job`);
    },

    async caption(input: CaptionInput, sink: CaptionSink, ctx: JobContext): Promise<void> {
      if (ctx.signal.aborted) throw new JobCancelledError();
      let script: string;
      try {
        script = options.script ?? findCaptionScript();
      } catch (err) {
        throw new NonRetryableError(`The caption script is missing from this installation (${(err as Error).message})`, { cause: err });
      }
      if (!existsSync(script)) throw new NonRetryableError(`The caption script ${script} is missing from this installation`);
      const shared = comfyuiOnThisGpu(config);
      if (shared) await freeComfyuiMemory(shared, ctx.logger, 10_000, 'captioning');
      if (ctx.signal.aborted) throw new JobCancelledError();

      const pending = new Set(input.images.map((i) => i.name));
      let version = 'unknown';
      let fatal: string | null = null;
      let sinkError: unknown = null;
      let finished = false;
      // Results are written one after another, in the order the script reported them.
      let chain: Promise<void> = Promise.resolve();
      const deliver = (fn: () => Promise<void>) => {
        chain = chain.then(async () => {
          if (sinkError) return;
          try {
            await fn();
          } catch (err) {
            sinkError = err;
            proc.cancel();
          }
        });
      };

      const onLine = (stream: TrainerStream, line: string) => {
        if (line.trim() === '') return;
        const message = stream === 'stdout' ? parseCaptionerLine(line) : null;
        if (!message) {
          // Download bars redraw many times a second: only their last state is worth a line.
          const bar = parseTqdmLine(line);
          if (!bar || bar.step === bar.total) ctx.logger.info(line, 'caption.output', { stream });
          return;
        }
        switch (message.type) {
          case 'progress':
            if (message.stage === 'loading') ctx.logger.info(`Loading ${message.model} (the first run downloads it into HF_HOME)`, 'caption.model_loading', { model: message.model });
            return;
          case 'ready':
            version = message.revision;
            ctx.logger.info(`${message.model} loaded on ${message.device} (${message.dtype})`, 'caption.model_ready', { model: message.model, revision: message.revision, device: message.device });
            return;
          case 'caption': {
            if (!pending.delete(message.name)) return;
            const text = message.text;
            const source = { model, version };
            deliver(() => sink.caption(message.name, text, source));
            return;
          }
          case 'error':
            if (message.fatal) {
              fatal = message.message;
              ctx.logger.error(`Captioner: ${message.message}`, 'caption.fatal');
            } else if (pending.delete(message.name)) {
              const reason = message.message;
              deliver(() => sink.failed(message.name, reason));
            }
            return;
          case 'done':
            finished = true;
            return;
        }
      };

      const proc = startTrainer({
        python,
        args: [script, '--model', model],
        cwd: path.dirname(script),
        env: { ...hfEnv, ...options.env },
        killGraceMs,
        onLine,
        stdin: JSON.stringify({ images: input.images.map(({ name, path: p }) => ({ name, path: p })), task: TASKS[input.style] }) + '\n',
      });
      ctx.logger.info(`Florence-2 captioner started (pid ${proc.pid})`, 'caption.process_start', { pid: proc.pid, python, images: input.images.length });
      const onAbort = () => {
        ctx.logger.warning('Stopping the captioner (SIGTERM to its process group)', 'caption.cancel', { pid: proc.pid });
        proc.cancel();
      };
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      if (ctx.signal.aborted) onAbort();

      let exit: TrainerExit;
      try {
        exit = await proc.wait();
      } catch (err) {
        throw new NonRetryableError(`Could not start the Florence-2 captioner (${python} ${script}): ${String(err)}`, { cause: err });
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
      await chain;
      ctx.logger.info('Florence-2 captioner exited', 'caption.process_exit', { code: exit.code, signal: exit.signal, killed_after_grace: exit.killed || undefined });
      if (sinkError) throw sinkError;
      if (exit.cancelled || ctx.signal.aborted) throw new JobCancelledError();
      if (exit.code !== 0 || !finished) throw new NonRetryableError(crashMessage(exit, fatal));
      for (const name of pending) await sink.failed(name, 'the captioner gave no result for it');
    },
  };
}
