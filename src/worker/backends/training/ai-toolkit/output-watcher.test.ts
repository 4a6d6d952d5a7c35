import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobOutput } from '../../../../shared/jobs.js';
import type { JobContext } from '../../types.js';
import { OutputWatcher } from './output-watcher.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fakeContext(outputsDir: string) {
  const outputs: JobOutput[] = [];
  const warnings: string[] = [];
  const noop = () => undefined;
  const logger = { info: noop, debug: noop, error: noop, warning: (_m: string, event?: string) => void warnings.push(event ?? '') };
  const ctx = {
    jobId: 'training-000000000001',
    signal: new AbortController().signal,
    logger,
    progress: noop,
    addOutput: async (o: JobOutput) => void outputs.push(o),
    removeOutput: async () => undefined,
    outputsDir,
  } as unknown as JobContext;
  return { ctx, outputs, warnings };
}

describe('OutputWatcher', () => {
  it('records real checkpoints and refuses a symlink in the save folder, once, without stopping the scan', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'watcher-'));
    dirs.push(root);
    const saveRoot = path.join(root, 'save');
    fs.mkdirSync(saveRoot);
    fs.writeFileSync(path.join(root, 'secret'), 'host file');
    fs.symlinkSync(path.join(root, 'secret'), path.join(saveRoot, 'job_000000050.safetensors'));
    fs.writeFileSync(path.join(saveRoot, 'job_000000100.safetensors'), 'weights');
    const { ctx, outputs, warnings } = fakeContext(path.join(root, 'outputs'));
    const watcher = new OutputWatcher({ saveRoot, jobName: 'job', ctx, pollMs: 60_000 });
    await watcher.stop();
    await watcher.stop();
    expect(outputs).toEqual([{ name: 'checkpoint_000000100.safetensors', kind: 'checkpoint', step: 100 }]);
    expect(warnings).toEqual(['trainer.output_refused']);
    expect(fs.readdirSync(path.join(root, 'outputs'))).toEqual(['checkpoint_000000100.safetensors']);
  });
});
