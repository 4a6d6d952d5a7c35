/**
 * Picks up what ai-toolkit writes under `training_folder/<name>/` while it trains:
 *   <name>_000000250.safetensors         → outputs/checkpoint_000000250.safetensors
 *   samples/<ms>__000000250_0.jpg        → outputs/sample_000000250_0.jpg
 * Polling, not fs.watch: inotify misses events on network volumes and across container mounts.
 * A file is taken once its size and mtime held still for one poll (the trainer writes in place),
 * and a final scan after the exit takes everything left. Files are hard-linked, so ai-toolkit
 * deleting old checkpoints (max_step_saves_to_keep) does not remove our copy.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { escapeRegExp } from '../../../../shared/regexp.js';
import type { JobContext } from '../../types.js';
import type { CheckpointRetention } from '../checkpoint-retention.js';
import { isOutsideVolume, linkOrCopyRegular } from '../../../../shared/node/safe-path.js';

export interface TrainerFile {
  kind: 'checkpoint' | 'sample';
  step: number;
  /** Name in the job's outputs folder. */
  outputName: string;
}

const SAMPLE_RE = /^\d+__(\d{9,})_(\d+)\.(jpg|jpeg|png|webp)$/;
const pad = (n: number) => String(n).padStart(9, '0');

export function checkpointPattern(jobName: string): RegExp {
  return new RegExp(`^${escapeRegExp(jobName)}_(\\d{9,})\\.safetensors$`);
}

/** Maps one file name from the save root (`where: 'root'`) or its samples folder to an output, or null. */
export function classifyTrainerFile(jobName: string, where: 'root' | 'samples', file: string): TrainerFile | null {
  if (where === 'root') {
    const m = checkpointPattern(jobName).exec(file);
    if (!m) return null;
    const step = Number(m[1]);
    return { kind: 'checkpoint', step, outputName: `checkpoint_${pad(step)}.safetensors` };
  }
  const m = SAMPLE_RE.exec(file);
  if (!m) return null;
  const step = Number(m[1]);
  return { kind: 'sample', step, outputName: `sample_${pad(step)}_${m[2]}.${m[3]}` };
}

/**
 * Hard link (same volume, no copy of multi-hundred-MB files); a copy when the filesystem refuses.
 * The trainer's folder is not ours: a symlink there is refused, never followed (linkOrCopyRegular).
 */
export async function linkOrCopy(src: string, dest: string): Promise<'link' | 'copy' | 'exists'> {
  try {
    return await linkOrCopyRegular(src, dest);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
    throw err;
  }
}

interface Seen {
  size: number;
  mtimeMs: number;
}

export class OutputWatcher {
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private readonly seen = new Map<string, Seen>();
  private readonly taken = new Set<string>();
  private readonly outputNames = new Set<string>();
  readonly found: TrainerFile[] = [];

  constructor(
    private readonly opts: { saveRoot: string; jobName: string; ctx: JobContext; pollMs: number; retention?: CheckpointRetention },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.scan(false), this.opts.pollMs);
  }

  /** Stops polling and takes every file still pending (the trainer has exited: nothing is half-written). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.scanning;
    await this.scan(true);
  }

  private scan(final: boolean): Promise<void> {
    if (this.scanning) return this.scanning;
    this.scanning = this.scanOnce(final)
      .catch((err: unknown) => {
        this.opts.ctx.logger.warning(`Output scan failed: ${String(err)}`, 'trainer.output_scan_failed');
      })
      .finally(() => {
        this.scanning = null;
      });
    return this.scanning;
  }

  private async scanOnce(final: boolean): Promise<void> {
    const root = this.opts.saveRoot;
    for (const [dir, where] of [
      [root, 'root'],
      [path.join(root, 'samples'), 'samples'],
    ] as const) {
      let files: string[];
      try {
        files = await fs.readdir(dir);
      } catch {
        continue;
      }
      // Oldest step first, so outputs appear in training order.
      const candidates = files
        .map((f) => ({ file: f, info: classifyTrainerFile(this.opts.jobName, where, f) }))
        .filter((c): c is { file: string; info: TrainerFile } => c.info !== null)
        .sort((a, b) => a.info.step - b.info.step || a.file.localeCompare(b.file));
      for (const { file, info } of candidates) {
        const src = path.join(dir, file);
        if (this.taken.has(src)) continue;
        if (await this.ready(src, final)) await this.take(src, info);
      }
    }
  }

  private async ready(src: string, final: boolean): Promise<boolean> {
    let st;
    try {
      st = await fs.stat(src);
    } catch {
      this.seen.delete(src);
      return false;
    }
    if (st.size === 0) return false;
    if (final) return true;
    const prev = this.seen.get(src);
    this.seen.set(src, { size: st.size, mtimeMs: st.mtimeMs });
    return prev !== undefined && prev.size === st.size && prev.mtimeMs === st.mtimeMs;
  }

  private async take(src: string, info: TrainerFile): Promise<void> {
    const { ctx } = this.opts;
    if (this.outputNames.has(info.outputName)) {
      // A second file for the same step and index (e.g. a resumed run): the first one stands.
      this.taken.add(src);
      ctx.logger.debug(`Ignoring ${path.basename(src)}: ${info.outputName} already recorded`, 'trainer.output');
      return;
    }
    await fs.mkdir(ctx.outputsDir, { recursive: true });
    const dest = path.join(ctx.outputsDir, info.outputName);
    try {
      await linkOrCopy(src, dest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // Deleted by the trainer between listing and linking (old checkpoints rotate out).
        this.taken.add(src);
        return;
      }
      if (isOutsideVolume(err)) {
        // Not a regular file (a symlink planted in the save folder): never an output, said once.
        this.taken.add(src);
        ctx.logger.warning(`Refusing ${path.basename(src)}: not a regular file`, 'trainer.output_refused', { source: path.basename(src) });
        return;
      }
      throw err;
    }
    if (info.kind === 'checkpoint') {
      await ctx.addOutput({ name: info.outputName, kind: 'checkpoint', step: info.step });
      ctx.logger.info(`Checkpoint saved at step ${info.step}`, 'trainer.checkpoint', {
        name: info.outputName,
        step: info.step,
        source: path.basename(src),
      });
      await this.opts.retention?.recorded(info.outputName, info.step);
    } else {
      const dims = await sharp(dest)
        .metadata()
        .then((m) => ({ width: m.width, height: m.height }))
        .catch(() => ({ width: undefined, height: undefined }));
      await ctx.addOutput({ name: info.outputName, kind: 'sample', step: info.step, ...dims });
      ctx.logger.info(`Sample image at step ${info.step}`, 'trainer.sample', {
        name: info.outputName,
        step: info.step,
        ...dims,
        source: path.basename(src),
      });
    }
    this.taken.add(src);
    this.outputNames.add(info.outputName);
    this.found.push(info);
  }
}
