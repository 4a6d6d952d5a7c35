/** CLI pieces without a server: --param typing and checking, progress rendering, error → exit code. */
import { PassThrough } from 'node:stream';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import type { ApiInfo } from '../../src/shared/capabilities.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { mockCaption, mockImage, mockTraining } from '../../src/shared/manifests.js';
import { IsengardHttpError } from '../../src/tools/client.js';
import { describeError, EXIT, UsageError } from '../../src/tools/cli-errors.js';
import { Output } from '../../src/tools/output.js';
import { coerceParam, imageConfig, trainingConfig } from '../../src/tools/params.js';

const info: ApiInfo = { name: 'Isengard API', version: '0.1.0', mode: 'fast-test', training: mockTraining, image_generation: mockImage, captioning: mockCaption };

const failure = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as UsageError;
  }
  throw new Error('expected a failure');
};

describe('--param typing', () => {
  it('types values by the parameter schema', () => {
    expect(coerceParam('300', { type: 'int' })).toBe(300);
    expect(coerceParam('2e-4', { type: 'float' })).toBe(2e-4);
    expect(coerceParam('true', { type: 'bool' })).toBe(true);
    expect(coerceParam('off', { type: 'bool' })).toBe(false);
    expect(coerceParam('16', { type: 'enum', options: [4, 8, 16] })).toBe(16);
    expect(coerceParam('1024', { type: 'enum', options: ['512', '1024'] })).toBe('1024');
    // Untypeable text stays text, so the shared check words the error like the server does.
    expect(coerceParam('many', { type: 'int' })).toBe('many');
    expect(coerceParam('maybe', { type: 'bool' })).toBe('maybe');
  });

  it('applies a preset, overrides it with --param, and reports errors with the server sentences', () => {
    expect(trainingConfig(info, ['steps=100'], 'quick').config).toEqual({ steps: 100, learning_rate: 2e-4, lora_rank: 8, resolution: 768, scheduler: 'constant' });
    expect(trainingConfig(info, ['stepz=1'], undefined).notes).toEqual(["Parameter 'stepz' is not a training parameter of mock; the server ignores it"]);
    expect(failure(() => trainingConfig(info, ['steps=many'], undefined)).message).toBe("Parameter 'steps' must be an integer");
    expect(failure(() => trainingConfig(info, ['steps=20000'], undefined)).message).toBe("Parameter 'steps' above maximum (10000)");
    expect(failure(() => trainingConfig(info, ['optimizer=sgd'], undefined)).message).toBe("Parameter 'optimizer' must be one of ['adamw8bit', 'adamw', 'prodigy']");
    expect(failure(() => trainingConfig(info, [], 'fastest')).message).toBe("Preset must be one of quick, balanced, quality; got 'fastest'");
    // quality's learning_rate does not apply beside its prodigy; a pinned optimizer brings it back.
    const quality = trainingConfig(info, [], 'quality');
    expect(quality.config).toEqual({ steps: 2000, lora_rank: 32, resolution: 1024, optimizer: 'prodigy' });
    expect(quality.notes).toEqual(['4 preset params not supported by current trainer (learning_rate, scheduler, network_alpha, gradient_accumulation)']);
    expect(trainingConfig(info, ['optimizer=adamw'], 'quality').config).toMatchObject({ optimizer: 'adamw', learning_rate: 5e-5 });
    expect(failure(() => trainingConfig(info, ['precision=fp16'], undefined)).message).toMatch(/^Parameter 'precision' option 'fp16' not supported by mock: FLUX trains in bf16/);
    expect(failure(() => trainingConfig(info, ['steps'], undefined)).message).toBe("--param expects key=value, got 'steps'");
  });

  it('types image extras (seed, model_variant, toggles) and checks toggles and dimensions', () => {
    const built = imageConfig(info, 'a cat', ['seed=42', 'model_variant=flux-dev', 'guidance_scale=4.5'], { use_upscale: true });
    expect(built.config).toEqual({ prompt: 'a cat', use_upscale: true, seed: 42, model_variant: 'flux-dev', guidance_scale: 4.5 });
    expect(failure(() => imageConfig(info, 'a cat', ['model_variant=flux-schnell', 'guidance_scale=4.5'], {})).message).toBe(
      "Parameter 'guidance_scale' does not apply when model_variant is 'flux-schnell': FLUX schnell is distilled without guidance: its graphs have no FluxGuidance node",
    );
    expect(failure(() => imageConfig(info, 'a cat', ['use_facedetailer=true'], {})).message).toBe("Toggle 'use_facedetailer' not supported by mock: Workflow not implemented");
    expect(failure(() => imageConfig(info, 'a cat', ['width=520'], {})).message).toBe("Parameter 'width' must be a multiple of 16");
    expect(failure(() => imageConfig(info, '   ', [], {})).message).toBe("Parameter 'prompt' must not be empty");
  });
});

function capture(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number };
  stream.isTTY = isTTY;
  stream.columns = 160;
  let text = '';
  stream.setEncoding('utf8').on('data', (d: string) => (text += d));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const record = (over: Partial<JobRecord>): JobRecord => ({
  id: 'training-0123456789ab', type: 'training', status: 'running', correlation_id: 'c', config: {}, created_at: '2025-01-01T00:00:00.000Z',
  progress: 0, outputs: [], attempts: 1, rev: 1, ...over,
});

describe('progress rendering', () => {
  it('redraws one bar with step, loss and ETA on a TTY', async () => {
    const err = capture(true);
    const view = new Output(false, capture(false).stream, err.stream).progress();
    view.update(record({ progress: 0.45, current_step: 450, total_steps: 1000, loss: 0.39121, eta_seconds: 381 }));
    view.update(record({ progress: 1, status: 'completed', current_step: 1000, total_steps: 1000 }));
    view.end();
    await new Promise((r) => setImmediate(r));
    const frames = err.text().split('\r\x1b[2K').filter(Boolean);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^training-0123456789ab running\s+█{11}░{13}\s+45%\s+step 450\/1000\s+loss 0\.3912\s+ETA 6m21s$/);
    expect(frames[1]).toMatch(/completed\s+█{24}\s+100%\s+step 1000\/1000\n$/);
  });

  it('prints a plain line per status change and per 10 % off a TTY, nothing with --json', async () => {
    const err = capture(false);
    const view = new Output(false, capture(false).stream, err.stream).progress();
    for (let step = 0; step <= 100; step++) view.update(record({ progress: step / 100, current_step: step, total_steps: 100 }));
    view.update(record({ progress: 1, status: 'completed' }));
    const quiet = capture(false);
    new Output(true, capture(false).stream, quiet.stream).progress().update(record({ progress: 0.5 }));
    await new Promise((r) => setImmediate(r));
    expect(err.text().trim().split('\n')).toHaveLength(12);
    expect(quiet.text()).toBe('');
  });
});

describe('exit codes', () => {
  const url = 'http://x';
  it('maps usage, HTTP status and transport failures', () => {
    expect(describeError(new UsageError('bad'), url).code).toBe(EXIT.usage);
    expect(describeError(new IsengardHttpError(400, "Parameter 'id' is not a valid id"), url)).toEqual({ code: 2, message: "Parameter 'id' is not a valid id", more: [] });
    expect(describeError(new IsengardHttpError(503, 'Redis is unavailable'), url).code).toBe(EXIT.unreachable);
    expect(describeError(new IsengardHttpError(500, 'Internal server error'), url).code).toBe(EXIT.jobFailed);
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    expect(describeError(TRPCClientError.from(refused), url)).toEqual({ code: 3, message: 'Cannot reach the Isengard server at http://x (ECONNREFUSED)', more: [] });
    expect(describeError(Object.assign(new Error('nope'), { code: 'ENOENT', path: '/a.png' }), url)).toMatchObject({ code: 2, message: 'Cannot read /a.png: ENOENT' });
  });
});
