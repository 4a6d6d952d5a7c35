/**
 * The contract between the job processor and a backend. A backend is one folder under
 * backends/<kind>/<name>/ exporting a factory, plus one line in registry.ts.
 *
 * Job handlers (src/worker/jobs/<type>/) call backends with the job's context: an AbortSignal, a
 * job logger and a progress callback. Backends honour the signal and throw NonRetryableError for
 * failures a second attempt cannot fix (bad config, missing model, trainer exit code); any other
 * error gives the job one more attempt.
 */
import type { CaptionCapabilities, ImageCapabilities, TrainingCapabilities } from '../../shared/capabilities.js';
import type { CaptionStyle } from '../../shared/captions.js';
import type { JobOutput, ProgressUpdate } from '../../shared/jobs.js';
import type { JobLogger } from '../../shared/node/job-logger.js';
import type { Config } from '../../shared/node/config.js';
import type { Logger } from 'pino';

export interface JobContext {
  jobId: string;
  signal: AbortSignal;
  /** Per-job JSONL log (mirrored to pino). */
  logger: JobLogger;
  /** Throttled by the processor (≤ 4 writes/s); call as often as you like. */
  progress(update: ProgressUpdate): void;
  /** Records an output whose file already sits in `outputsDir` under `output.name`. */
  addOutput(output: JobOutput): Promise<void>;
  /** Drops an output from the record and deletes its file (a checkpoint past "keep last N"). */
  removeOutput(name: string): Promise<void>;
  /** VOLUME_ROOT/outputs/{jobId}: every file the files route may serve lives here, flat. */
  outputsDir: string;
}

export interface GenerationInput {
  /** Effective image config: prompt, model_variant, seed (always set), parameters, toggles. */
  config: Record<string, unknown> & { prompt: string; model_variant: string; seed: number };
  count: number;
  /** Present when the request named a LoRA: absolute path of its .safetensors under VOLUME_ROOT/loras. */
  lora?: { id: string; path: string; trigger_word: string };
}

/** One image of an evaluation grid: a prompt and seed through one LoRA file at one strength. */
export interface GridImage {
  /** Final prompt text (already holds the trigger word). */
  prompt: string;
  seed: number;
  /** The LoRA file: a registered LoRA or a training checkpoint (id unique per file, [A-Za-z0-9_-]). */
  lora: { id: string; path: string };
  strength: number;
  /** Output file name in ctx.outputsDir. */
  name: string;
  /** Stored on the output record. */
  step: number;
}

export interface GridInput {
  /** model_variant, width, height, steps (and optionally guidance_scale): the same for every image. */
  config: { model_variant: string; width: number; height: number; steps: number; guidance_scale?: number };
  images: GridImage[];
  /** Called once per image, in order, after its output is recorded. */
  onImage?(index: number): void | Promise<void>;
}

export interface TrainingInput {
  config: Record<string, unknown>;
  character: { id: string; name: string; trigger_word: string };
  /** Snapshot of the dataset (images + .txt captions) taken when the job was created. */
  datasetDir: string;
  /** VOLUME_ROOT/training/{jobId}: the backend's scratch and trainer output folder. */
  workDir: string;
  /** Sample prompts (each holds the trigger word); absent → the backend's own; empty → no samples. */
  samplePrompts?: string[];
  /** training.resume: the checkpoint file to start from and the step it was saved at. */
  resumeFrom?: { path: string; step: number };
  /** training.continue: starting weights (a finished LoRA); the run then trains `steps` more. */
  initialWeights?: string;
  /**
   * True while a live evaluation of this training waits for its checkpoints: Keep Checkpoints
   * then removes none (checkpoint-retention.ts), so each one gets its grid row and can be used.
   */
  holdCheckpoints?: () => Promise<boolean>;
}

export interface TrainingResult {
  /** Absolute path of the final LoRA .safetensors; the processor registers it. */
  loraPath: string;
  steps: number;
}

export interface ImageBackend {
  readonly name: string;
  readonly capabilities: ImageCapabilities;
  /** Start-up check (workflows valid, server reachable…); throws with a clear message. */
  init?(logger: Logger): Promise<void>;
  generate(input: GenerationInput, ctx: JobContext): Promise<void>;
  /**
   * Renders a batch of grid images, each recorded as a job output as soon as it is saved. All of
   * them are handed to the GPU at once (ComfyUI: every prompt queued ahead), so it never waits.
   */
  renderGrid(input: GridInput, ctx: JobContext): Promise<void>;
  close?(): Promise<void>;
}

export interface TrainingBackend {
  readonly name: string;
  readonly capabilities: TrainingCapabilities;
  init?(logger: Logger): Promise<void>;
  train(input: TrainingInput, ctx: JobContext): Promise<TrainingResult>;
  close?(): Promise<void>;
}

export interface CaptionInput {
  /** Absolute paths under the character's images folder; `name` is the image's name in character.json. */
  images: { name: string; path: string }[];
  style: CaptionStyle;
}

/** Which model wrote a caption: recorded in the image's `caption_source`. */
export interface CaptionModel {
  model: string;
  version: string;
}

/**
 * Results, one call per image as soon as it is done, so a cancel keeps what is finished. The backend
 * awaits each call before reporting the next (the caption job writes it to the character).
 */
export interface CaptionSink {
  caption(name: string, text: string, source: CaptionModel): Promise<void>;
  /** This image could not be captioned; the others go on. */
  failed(name: string, reason: string): Promise<void>;
}

export interface CaptionBackend {
  readonly name: string;
  readonly capabilities: CaptionCapabilities;
  init?(logger: Logger): Promise<void>;
  caption(input: CaptionInput, sink: CaptionSink, ctx: JobContext): Promise<void>;
  close?(): Promise<void>;
}

export type ImageBackendFactory = (config: Config) => ImageBackend;
export type CaptionBackendFactory = (config: Config) => CaptionBackend;
export type TrainingBackendFactory = (config: Config) => TrainingBackend;

/** A failure retrying cannot fix; the processor fails the job at once, with no retry and no re-run. */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/**
 * Thrown by a handler that cannot do anything useful yet and must not hold this worker meanwhile
 * (an evaluation whose training has not started): the processor puts the job back in the queue,
 * after `delayMs`, without counting an attempt.
 */
export class JobDeferredError extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'JobDeferredError';
  }
}

/**
 * Thrown (or rethrown) by handlers when the AbortSignal fired. The AbortError of an aborted
 * `node:timers/promises` sleep counts the same: the processor goes by the signal.
 */
export class JobCancelledError extends Error {
  constructor(message = 'Job cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}
