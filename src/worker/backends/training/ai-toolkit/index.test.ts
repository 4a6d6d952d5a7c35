import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { JobCancelledError, NonRetryableError, type TrainingInput } from '../../types.js';
import { createAiToolkitBackend, type AiToolkitBackendOptions } from './index.js';
import { linkOrCopy } from './output-watcher.js';
import {
  effectiveConfig,
  fakeToolkitConfig,
  isAlive,
  makeDataset,
  makeJob,
  removeTmpDirs,
  tmpDir,
  waitFor,
  type TestJob,
} from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';

const TRIGGER = 'zxq_person';

async function setup(
  env: NodeJS.ProcessEnv,
  overrides: Record<string, unknown> = {},
  opts: AiToolkitBackendOptions = {},
  configEnv: NodeJS.ProcessEnv = {},
) {
  const root = tmpDir();
  const workDir = path.join(root, 'training', 'training-0123456789ab');
  const datasetDir = await makeDataset(path.join(workDir, 'dataset'), TRIGGER);
  const backend = createAiToolkitBackend(fakeToolkitConfig(root, configEnv), { pollMs: 50, killGraceMs: 400, ...opts, env });
  const job = makeJob(root);
  const input: TrainingInput = {
    config: effectiveConfig({ steps: 100, resolution: 512, ...overrides }),
    character: { id: 'char-0123456789ab', name: 'Zed', trigger_word: TRIGGER },
    datasetDir,
    workDir,
  };
  return { backend, job, input, workDir };
}

const events = (job: TestJob, event: string) => job.readLog().filter((r) => r.event === event);
const trainerPid = (job: TestJob) =>
  Number(events(job, 'trainer.output').find((r) => r.msg.startsWith('fake ai-toolkit pid '))?.msg.split(' ').at(-1));
const pad = (n: number) => String(n).padStart(9, '0');

afterAll(removeTmpDirs);

describe('ai-toolkit backend against the fake run.py', () => {
  it('trains: progress, checkpoints and samples as they appear, final LoRA', async () => {
    const { backend, job, input, workDir } = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '15' }, { sample_every: 25 });
    const result = await backend.train(input, job.ctx);

    const loraPath = path.join(workDir, TRIGGER, `${TRIGGER}.safetensors`);
    expect(result).toEqual({ loraPath, steps: 100 });
    const yaml = fs.readFileSync(path.join(workDir, 'config.yaml'), 'utf8');
    expect(yaml).toMatch(/^ +lr_scheduler: cosine$/m);

    const last = job.progress.at(-1)!;
    expect(last).toMatchObject({ progress: 1, current_step: 100, total_steps: 100 });
    expect(last.loss).toBeGreaterThan(0);
    expect(last.it_per_sec).toBeGreaterThan(0);
    const steps = job.progress.map((p) => p.current_step!);
    expect(steps).toEqual([...steps].sort((a, b) => a - b)); // the sample-generation bars never leak in
    expect(job.progress.every((p) => p.total_steps === 100)).toBe(true);

    const checkpoints = job.outputs.filter((o) => o.kind === 'checkpoint');
    expect(checkpoints.map((o) => [o.name, o.step])).toEqual([25, 50, 75].map((s) => [`checkpoint_${pad(s)}.safetensors`, s]));
    for (const c of checkpoints) {
      const buf = fs.readFileSync(path.join(job.ctx.outputsDir, c.name));
      const headerLen = Number(buf.readBigUInt64LE(0));
      expect(JSON.parse(buf.subarray(8, 8 + headerLen).toString())).toHaveProperty('__metadata__');
    }
    // Recorded while training ran, not in one sweep at the end.
    expect(checkpoints[0]!.at).toBeLessThan(fs.statSync(loraPath).mtimeMs);

    const samples = job.outputs.filter((o) => o.kind === 'sample');
    expect(samples.map((o) => o.name).sort()).toEqual(
      [0, 25, 50, 75, 100].flatMap((s) => [`sample_${pad(s)}_0.jpg`, `sample_${pad(s)}_1.jpg`]),
    );
    for (const s of samples) {
      expect(s).toMatchObject({ width: 512, height: 512 });
      expect(s.name).toContain(pad(s.step!));
      const { info } = await sharp(path.join(job.ctx.outputsDir, s.name), { failOn: 'warning' }).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([512, 512]);
    }

    const log = job.readLog();
    expect(events(job, 'trainer.config')[0]?.fields).toMatchObject({ name: TRIGGER, steps: 100, linear: 16, lr_scheduler: 'cosine', dtype: 'bf16' });
    expect(events(job, 'trainer.checkpoint').map((r) => r.fields?.step)).toEqual([25, 50, 75]);
    expect(events(job, 'trainer.sample')).toHaveLength(10);
    const outputs = events(job, 'trainer.output');
    expect(outputs.map((r) => r.msg)).toContain('Loading Flux model');
    expect(outputs.map((r) => r.msg)).toContain('Saving at step 50');
    // The training bar's 101 redraws become progress only: the processor logs its milestones once,
    // so the backend adds no line of its own for them.
    expect(outputs.filter((r) => r.msg.startsWith(`${TRIGGER}:`))).toEqual([]);
    expect(log.find((r) => r.event === 'trainer.exit')?.fields).toMatchObject({ code: 0 });
    // The nested "Generating Images" bar redraws end in ESC[A: none reaches the log, and each
    // sampling round (baseline, 25, 50, 75, final) leaves one clean final-state line.
    expect(log.filter((r) => JSON.stringify(r).includes('\\u001b'))).toEqual([]);
    // Loss and learning rate reach the log as a curve (bounded, ~200 points a run), and the cosine
    // scheduler is seen moving the rate down.
    const curve = events(job, 'trainer.step').map((r) => r.fields as { step: number; total_steps: number; loss: number; lr: number });
    expect(curve.length).toBeGreaterThan(10);
    expect(curve.length).toBeLessThanOrEqual(101);
    expect(curve.map((c) => c.step)).toEqual([...new Set(curve.map((c) => c.step))].sort((a, b) => a - b));
    expect(curve.at(-1)).toMatchObject({ step: 100, total_steps: 100 });
    expect(curve.filter((c) => !(c.loss > 0 && c.lr >= 0))).toEqual([]); // cosine ends at exactly 0
    expect(curve.at(-1)!.lr).toBeLessThan(curve[0]!.lr);
    const sampling = outputs.filter((r) => r.msg.startsWith('Generating Images:'));
    expect(sampling.map((r) => r.msg.replace(/\s*\[.*$/, ''))).toEqual(Array(5).fill('Generating Images: 100%|██████████| 2/2'));
  });

  it('fails as ai-toolkit does on the gated FLUX.1-dev hub id without HF_TOKEN, and trains with one', async () => {
    const gated = { FLUX_MODEL: 'black-forest-labs/FLUX.1-dev' };
    const { backend, job, input } = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '1', HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: '' }, {}, {}, gated);
    const err = await backend.train(input, job.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    const message = (err as Error).message;
    expect(message).toContain('Access to model black-forest-labs/FLUX.1-dev is restricted');
    expect(message).toContain('OSError: black-forest-labs/FLUX.1-dev is not a local folder and is not a valid model identifier');
    expect(job.outputs).toEqual([]);

    const withToken = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '1', HF_TOKEN: 'hf_test_token' }, {}, {}, gated);
    await expect(withToken.backend.train(withToken.input, withToken.job.ctx)).resolves.toMatchObject({ steps: 100 });
  });

  it('fails with the trainer’s last stderr lines, keeping outputs made before the crash', async () => {
    const { backend, job, input } = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '2', FAKE_AI_TOOLKIT_FAIL_AT_STEP: '40' });
    const err = await backend.train(input, job.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    const message = (err as Error).message;
    expect(message).toMatch(/^ai-toolkit exited with code 1:/);
    expect(message).toContain('Traceback (most recent call last):');
    expect(message).toContain('torch.OutOfMemoryError: CUDA out of memory.');
    expect(job.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step)).toEqual([25]);
  });

  it('cancel: SIGTERM to the group, JobCancelledError, no process left', async () => {
    const { backend, job, input } = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '40', FAKE_AI_TOOLKIT_CHILD: '1' });
    const training = backend.train(input, job.ctx).catch((e: unknown) => e);
    await waitFor(() => (job.progress.at(-1)?.current_step ?? 0) >= 5, 10_000, 'training progress');
    const pid = trainerPid(job);
    const helper = Number(events(job, 'trainer.output').find((r) => r.msg.startsWith('dataloader worker pid'))?.msg.split(' ').at(-1));
    expect(isAlive(pid)).toBe(true);
    job.controller.abort();
    expect(await training).toBeInstanceOf(JobCancelledError);
    expect(isAlive(pid)).toBe(false);
    await waitFor(() => !isAlive(helper), 2000, 'helper process to die');
    expect(events(job, 'trainer.exit')[0]?.fields).toMatchObject({ signal: 'SIGTERM' });
  });

  it('cancel: a trainer ignoring SIGTERM is SIGKILLed after the grace period', async () => {
    const { backend, job, input } = await setup({ FAKE_AI_TOOLKIT_STEP_MS: '40', FAKE_AI_TOOLKIT_IGNORE_SIGTERM: '1' });
    const training = backend.train(input, job.ctx).catch((e: unknown) => e);
    await waitFor(() => (job.progress.at(-1)?.current_step ?? 0) >= 3, 10_000, 'training progress');
    const pid = trainerPid(job);
    const t0 = Date.now();
    job.controller.abort();
    expect(await training).toBeInstanceOf(JobCancelledError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
    expect(isAlive(pid)).toBe(false);
    expect(events(job, 'trainer.exit')[0]?.fields).toMatchObject({ signal: 'SIGKILL', killed_after_grace: true });
  });

  it('refuses an unwired parameter before starting anything', async () => {
    const { backend, job, input, workDir } = await setup({}, { network_alpha: 64 });
    await expect(backend.train(input, job.ctx)).rejects.toThrow("Parameter 'network_alpha' not supported by ai-toolkit");
    expect(fs.existsSync(path.join(workDir, 'config.yaml'))).toBe(false);
  });

  it('fails clearly without run.py, and init logs an error instead of ready (without throwing)', async () => {
    const root = tmpDir();
    const backend = createAiToolkitBackend(fakeToolkitConfig(root, { AI_TOOLKIT_DIR: path.join(root, 'nope'), AI_TOOLKIT_PYTHON: '/nonexistent/python' }));
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) });
    await expect(backend.init!(logger)).resolves.toBeUndefined();
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg).join('\n')).toMatch(/^ai-toolkit is NOT ready: .*run\.py is missing \(set AI_TOOLKIT_DIR/);
    expect(lines.map((l) => l.msg)).not.toContain('ai-toolkit backend ready');
    const job = makeJob(root);
    const datasetDir = await makeDataset(path.join(root, 'ds'));
    const input = { config: effectiveConfig(), character: { id: 'c', name: 'Z', trigger_word: TRIGGER }, datasetDir, workDir: path.join(root, 'w') };
    await expect(backend.train(input, job.ctx)).rejects.toThrow(/ai-toolkit not found: .*run\.py is missing/);
  });

  it('init reports a working setup without warnings', async () => {
    const backend = createAiToolkitBackend(fakeToolkitConfig(tmpDir()));
    const levels: number[] = [];
    await backend.init!(pino({ level: 'info' }, { write: (s: string) => void levels.push((JSON.parse(s) as { level: number }).level) }));
    expect(levels).toEqual([30]);
  });
});

describe('linkOrCopy', () => {
  it('hard-links so the trainer rotating out an old checkpoint does not remove ours', async () => {
    const dir = tmpDir();
    const src = path.join(dir, 'a_000000025.safetensors');
    fs.writeFileSync(src, 'weights');
    expect(await linkOrCopy(src, path.join(dir, 'checkpoint.safetensors'))).toBe('link');
    fs.rmSync(src);
    expect(fs.readFileSync(path.join(dir, 'checkpoint.safetensors'), 'utf8')).toBe('weights');
    fs.writeFileSync(src, 'again');
    expect(await linkOrCopy(src, path.join(dir, 'checkpoint.safetensors'))).toBe('exists');
  });

  it('refuses a symlink the trainer folder holds instead of copying its target into the outputs', async () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'secret'), 'host file');
    fs.symlinkSync(path.join(dir, 'secret'), path.join(dir, 'a_000000050.safetensors'));
    await expect(linkOrCopy(path.join(dir, 'a_000000050.safetensors'), path.join(dir, 'checkpoint_50.safetensors'))).rejects.toMatchObject({
      code: 'EOUTSIDE',
    });
    expect(fs.existsSync(path.join(dir, 'checkpoint_50.safetensors'))).toBe(false);
  });
});
