/**
 * "Keep last N checkpoints" for the job's own outputs. ai-toolkit rotates the files in its save
 * folder (max_step_saves_to_keep), but the outputs folder holds hard links that outlive that, so
 * the same rule is applied here: the newest N checkpoint outputs stay, older ones go.
 */
import type { JobContext } from '../types.js';

export class CheckpointRetention {
  private readonly steps = new Map<string, number>();
  private holding = false;

  /**
   * `hold`: asked before removing anything; while it answers true (a live evaluation still wants
   * every checkpoint: "Evaluate during training"), nothing is removed. Once it answers false, the
   * next checkpoint brings the outputs back to the newest `keep`.
   */
  constructor(
    private readonly ctx: JobContext,
    private readonly keep: number,
    private readonly hold?: () => Promise<boolean>,
  ) {}

  /** Call after a checkpoint output was recorded; removes the oldest beyond `keep`. */
  async recorded(name: string, step: number): Promise<void> {
    this.steps.set(name, step);
    const byAge = [...this.steps.entries()].sort((a, b) => a[1] - b[1]);
    const excess = byAge.slice(0, Math.max(0, byAge.length - this.keep));
    if (excess.length === 0) return;
    if (this.hold && (await this.hold())) {
      if (!this.holding) {
        this.ctx.logger.info(
          `Keeping every checkpoint while the live evaluation of this training renders them (Keep Checkpoints is ${this.keep})`,
          'trainer.checkpoints_held',
          { keep: this.keep },
        );
      }
      this.holding = true;
      return;
    }
    this.holding = false;
    for (const [old, oldStep] of excess) {
      this.steps.delete(old);
      await this.ctx.removeOutput(old);
      this.ctx.logger.info(`Removed checkpoint at step ${oldStep} (keeping the last ${this.keep})`, 'trainer.checkpoint_removed', { name: old, step: oldStep });
    }
  }
}
