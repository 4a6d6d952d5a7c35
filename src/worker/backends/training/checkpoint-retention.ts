/**
 * "Keep last N checkpoints" for the job's own outputs. ai-toolkit rotates the files in its save
 * folder (max_step_saves_to_keep), but the outputs folder holds hard links that outlive that, so
 * the same rule is applied here: the newest N checkpoint outputs stay, older ones go.
 */
import type { JobContext } from '../types.js';

export class CheckpointRetention {
  private readonly steps = new Map<string, number>();

  constructor(
    private readonly ctx: JobContext,
    private readonly keep: number,
  ) {}

  /** Call after a checkpoint output was recorded; removes the oldest beyond `keep`. */
  async recorded(name: string, step: number): Promise<void> {
    this.steps.set(name, step);
    const byAge = [...this.steps.entries()].sort((a, b) => a[1] - b[1]);
    for (const [old, oldStep] of byAge.slice(0, Math.max(0, byAge.length - this.keep))) {
      this.steps.delete(old);
      await this.ctx.removeOutput(old);
      this.ctx.logger.info(`Removed checkpoint at step ${oldStep} (keeping the last ${this.keep})`, 'trainer.checkpoint_removed', { name: old, step: oldStep });
    }
  }
}
