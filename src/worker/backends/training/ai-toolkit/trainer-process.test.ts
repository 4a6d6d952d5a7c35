import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { buildTrainerConfig, renderTrainerYaml } from './trainer-config.js';
import { LineTail, startTrainer, type TrainerStream } from './trainer-process.js';
import { parseTqdmLine } from './tqdm-parser.js';
import {
  FAKE_AI_TOOLKIT_DIR,
  effectiveConfig,
  isAlive,
  makeDataset,
  removeTmpDirs,
  tmpDir,
  waitFor,
} from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';

async function setup(overrides: Record<string, unknown> = {}) {
  const workDir = tmpDir();
  const datasetDir = await makeDataset(path.join(workDir, 'dataset'));
  const cfg = buildTrainerConfig({
    config: effectiveConfig({ resolution: 512, ...overrides }),
    character: { trigger_word: 'zxq_person' },
    datasetDir,
    workDir,
    fluxModel: '/models/FLUX.1-dev',
  });
  const configPath = path.join(workDir, 'config.yaml');
  fs.writeFileSync(configPath, renderTrainerYaml(cfg.doc));
  return { workDir, configPath, cfg };
}

function run(configPath: string, env: NodeJS.ProcessEnv, killGraceMs?: number) {
  const lines: { stream: TrainerStream; line: string }[] = [];
  const proc = startTrainer({
    python: 'python3',
    args: ['run.py', configPath],
    cwd: FAKE_AI_TOOLKIT_DIR,
    env,
    killGraceMs,
    onLine: (stream, line) => lines.push({ stream, line }),
  });
  return { proc, lines };
}

const stepOf = (lines: { line: string }[], name: string) =>
  Math.max(-1, ...lines.map((l) => parseTqdmLine(l.line)).filter((p) => p?.desc === name).map((p) => p!.step));

afterAll(removeTmpDirs);

describe('trainer process against the fake run.py', () => {
  it('runs to completion, streaming stdout lines and \\r-separated tqdm redraws', async () => {
    const { configPath, cfg, workDir } = await setup();
    const { proc, lines } = run(configPath, { FAKE_AI_TOOLKIT_STEP_MS: '2', FAKE_AI_TOOLKIT_CHILD: '1' });
    const exit = await proc.wait();
    expect(exit).toMatchObject({ code: 0, signal: null, cancelled: false, killed: false });
    // The helper outlived the trainer; an orphan like that would hold GPU memory, so it is killed.
    const helper = Number(lines.find((l) => l.line.startsWith('dataloader worker pid '))?.line.split(' ').at(-1));
    await waitFor(() => !isAlive(helper), 2000, 'orphaned helper to die');
    const bars = lines.filter((l) => l.stream === 'stderr').map((l) => parseTqdmLine(l.line)).filter((p) => p?.desc === cfg.name);
    expect(bars.length).toBe(101);
    expect(bars.at(-1)).toMatchObject({ step: 100, total: 100, percent: 100 });
    expect(bars.at(-1)?.loss).toBeGreaterThan(0);
    expect(lines).toContainEqual({ stream: 'stdout', line: 'Saving at step 25' });
    expect(fs.existsSync(path.join(workDir, cfg.name, `${cfg.name}.safetensors`))).toBe(true);
  });

  it('keeps the stderr tail (traceback, not progress bars) when the trainer fails', async () => {
    const { configPath } = await setup();
    const { proc } = run(configPath, { FAKE_AI_TOOLKIT_STEP_MS: '1', FAKE_AI_TOOLKIT_FAIL_AT_STEP: '60' });
    const exit = await proc.wait();
    expect(exit.code).toBe(1);
    expect(exit.stderrTail.length).toBeLessThanOrEqual(30);
    expect(exit.stderrTail).toContain('Traceback (most recent call last):');
    expect(exit.stderrTail.at(-1)).toMatch(/^torch\.OutOfMemoryError: CUDA out of memory/);
    expect(exit.stderrTail.filter((l) => parseTqdmLine(l)).length).toBeLessThanOrEqual(3);
    expect(exit.stdoutTail).toContain(' - 1 failure');
  });

  it('the trainer’s own lr readout decays for linear and stays flat for constant; prodigy shows d·lr, not learning_rate', async () => {
    const lrs = async (overrides: Record<string, unknown>) => {
      const { configPath, cfg } = await setup({ steps: 100, ...overrides });
      const { proc, lines } = run(configPath, { FAKE_AI_TOOLKIT_STEP_MS: '1' });
      expect((await proc.wait()).code).toBe(0);
      const bars = lines.map((l) => parseTqdmLine(l.line)).filter((p) => p?.desc === cfg.name && p.lr !== null);
      return { lr: bars.filter((p) => p!.step % 10 === 0).map((p) => p!.lr!), lines: lines.map((l) => l.line) };
    };
    const linear = await lrs({ scheduler: 'linear', learning_rate: 0.0002 });
    expect(linear.lr[0]).toBeCloseTo(0.0002 * 0.9, 6); // step 10 of 100, from lr (not lr/3) down
    expect(linear.lr.every((x, i) => i === 0 || x < linear.lr[i - 1]!)).toBe(true);
    expect(linear.lr.at(-1)).toBe(0);
    const constant = await lrs({ scheduler: 'constant' });
    expect(new Set(constant.lr)).toEqual(new Set([0.0001]));
    const prodigy = await lrs({ optimizer: 'prodigy', scheduler: 'constant' });
    expect(prodigy.lines).toContain('Using lr 1.0');
    // Prodigy's own step-size estimate d grows from 1e-6: nothing to do with learning_rate.
    expect(prodigy.lr[0]).toBeLessThan(1e-5);
    expect(prodigy.lr.every((x, i) => i === 0 || x >= prodigy.lr[i - 1]!)).toBe(true);
    expect(prodigy.lr.at(-1)).toBeGreaterThan(prodigy.lr[0]! * 10);
  });

  it('the fake refuses a key ai-toolkit does not know, loudly', async () => {
    const { configPath } = await setup();
    const doc = parseYaml(fs.readFileSync(configPath, 'utf8')) as {
      config: { process: { train: Record<string, unknown> }[] };
    };
    doc.config.process[0]!.train.learning_rate = 0.0001;
    fs.writeFileSync(configPath, stringifyYaml(doc));
    const exit = await run(configPath, {}).proc.wait();
    expect(exit.code).toBe(1);
    expect(exit.stderrTail.join('\n')).toContain('Unknown key "config.process[0].train.learning_rate"');
  });

  it('cancel sends SIGTERM to the whole group: trainer and its helper are gone', async () => {
    const { configPath, cfg } = await setup();
    const { proc, lines } = run(configPath, { FAKE_AI_TOOLKIT_STEP_MS: '50', FAKE_AI_TOOLKIT_CHILD: '1' });
    await waitFor(() => stepOf(lines, cfg.name) >= 3, 10_000, 'training steps');
    const childLine = lines.find((l) => l.line.startsWith('dataloader worker pid '));
    const childPid = Number(childLine?.line.split(' ').at(-1));
    expect(isAlive(proc.pid)).toBe(true);
    expect(isAlive(childPid)).toBe(true);
    const t0 = Date.now();
    proc.cancel();
    const exit = await proc.wait();
    expect(exit).toMatchObject({ signal: 'SIGTERM', cancelled: true, killed: false });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(isAlive(proc.pid)).toBe(false);
    await waitFor(() => !isAlive(childPid), 2000, 'helper process to die');
  });

  it('SIGKILLs the group when the trainer ignores SIGTERM past the grace period', async () => {
    const { configPath, cfg } = await setup();
    const { proc, lines } = run(configPath, { FAKE_AI_TOOLKIT_STEP_MS: '50', FAKE_AI_TOOLKIT_IGNORE_SIGTERM: '1' }, 400);
    await waitFor(() => stepOf(lines, cfg.name) >= 2, 10_000, 'training steps');
    const t0 = Date.now();
    proc.cancel();
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(proc.pid)).toBe(true); // still running: SIGTERM was ignored
    const exit = await proc.wait();
    const waited = Date.now() - t0;
    expect(exit).toMatchObject({ signal: 'SIGKILL', cancelled: true, killed: true });
    expect(waited).toBeGreaterThanOrEqual(380);
    expect(waited).toBeLessThan(3000);
    expect(isAlive(proc.pid)).toBe(false);
  });

  it('passes CUDA_VISIBLE_DEVICES through and unbuffers Python output', async () => {
    const saved = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '3';
    try {
      const script = 'import os; print(os.environ.get("CUDA_VISIBLE_DEVICES"), os.environ.get("PYTHONUNBUFFERED"), os.getpgid(0) == os.getpid())';
      const lines: string[] = [];
      const proc = startTrainer({ python: 'python3', args: ['-c', script], cwd: FAKE_AI_TOOLKIT_DIR, onLine: (_s, l) => lines.push(l) });
      expect((await proc.wait()).code).toBe(0);
      expect(lines).toEqual(['3 1 True']); // own process group: the trainer leads it
    } finally {
      if (saved === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = saved;
    }
  });

  it('rejects when the interpreter cannot be started', async () => {
    const proc = startTrainer({ python: '/nonexistent/python3', args: ['run.py'], cwd: FAKE_AI_TOOLKIT_DIR });
    await expect(proc.wait()).rejects.toThrow(/ENOENT/);
  });
});

describe('LineTail', () => {
  it('keeps the last N lines and collapses consecutive progress redraws', () => {
    const tail = new LineTail(3);
    tail.push('a');
    for (let i = 0; i <= 50; i++) tail.push(`bob: ${String(i * 2).padStart(3)}%|█| ${i}/50 [00:01<00:01,  1.00it/s]`);
    tail.push('b');
    expect(tail.get()).toEqual(['a', 'bob: 100%|█| 50/50 [00:01<00:01,  1.00it/s]', 'b']);
    tail.push('c');
    expect(tail.get()).toEqual(['bob: 100%|█| 50/50 [00:01<00:01,  1.00it/s]', 'b', 'c']);
  });
});
