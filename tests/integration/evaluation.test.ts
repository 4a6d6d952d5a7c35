/**
 * Evaluation grids (issue #17) through the real processes on the mock backends: API → worker →
 * mock trainer and mock image backend. The grid has exactly rows × strengths × prompts cells, one
 * seed per prompt, each cell's image made with its row's LoRA file at its strength (the worker
 * logs what each "graph" carries), a cancel keeps the finished cells, "Use this" sets the
 * character's Generate defaults, and live mode follows the queue rules of docs/contracts.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Character, Lora } from '../../src/shared/characters.js';
import type { EvaluationGrid } from '../../src/shared/evaluations.js';
import type { JobRecord } from '../../src/shared/jobs.js';
import { characterWithImages, readLogLines } from '../helpers/fixtures.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let characterId: string;
type TrpcError = { message: string };
const pad = (n: number) => String(n).padStart(9, '0');

beforeAll(async () => {
  stack = await startStack();
  characterId = await characterWithImages(stack, 2, 'eva_person');
}, 60_000);
afterAll(async () => stack?.stop());
afterEach(async () => {
  for (const w of stack.workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(stack.workers.map((w) => w.exited));
  stack.workers.length = 0;
});

const grid = async (id: string) => (await stack.call<EvaluationGrid>('evaluations.get', { id })).body;
const cells = (g: EvaluationGrid) => g.rows.flatMap((r) => r.cells.map((c) => ({ ...c, step: r.step, final: r.final })));

async function train(extra: Record<string, unknown> = {}): Promise<JobRecord> {
  const { status, body } = await stack.call<JobRecord>('training.start', { character_id: characterId, config: { steps: 100 }, sample_prompts: [], ...extra });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('evaluation grid of a finished training', () => {
  let training: JobRecord;

  it('has exactly rows × strengths × prompts cells, one seed per prompt, each drawn with its row LoRA at its strength', async () => {
    await stack.spawnWorker();
    training = await stack.waitFor((await train()).id);
    expect(training.status, training.error).toBe('completed');

    const { status, body } = await stack.call<{ id: string }>('evaluations.start', { training_id: training.id, strengths: [0.5, 1.1], prompts: ['eva_person on a beach', 'a portrait in the rain'], seed: 7 });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.id).toMatch(/^evaluation-[0-9a-f]{12}$/);
    const queued = await grid(body.id);
    expect(queued.rows.map((r) => [r.step, r.final])).toEqual([[25, false], [50, false], [75, false], [100, true]]);

    const done = await stack.waitFor(body.id);
    expect(done.status, done.error).toBe('completed');
    const g = await grid(body.id);
    expect(g).toMatchObject({ training_id: training.id, character_id: characterId, status: 'completed', strengths: [0.5, 1.1], seeds: [7, 8], live: false });
    expect(g.prompts).toEqual(['eva_person on a beach', 'eva_person, a portrait in the rain']);
    expect(g.rows.at(-1)).toMatchObject({ step: 100, final: true, lora_id: training.result_lora_id });
    const all = cells(g);
    expect(all).toHaveLength(4 * 2 * 2);
    expect(all.every((c) => c.image !== null)).toBe(true);
    for (const c of all) expect(c.seed).toBe(c.prompt_index === 0 ? 7 : 8);
    // Each image is served from the evaluation's own outputs folder.
    const res = await fetch(`${stack.url}/api/jobs/${body.id}/files/${all[0]!.image}`);
    expect(res.status).toBe(200);
    expect(fs.existsSync(path.join(stack.volume, 'outputs', body.id, all.at(-1)!.image!))).toBe(true);

    // What each image was made with: its row's LoRA file, its column's strength, its prompt's seed.
    const queuedLines = (await readLogLines(stack.url, body.id)).filter((l) => l.event === 'mock.prompt_queued').map((l) => l.fields);
    expect(queuedLines).toHaveLength(all.length);
    const byName = new Map(queuedLines.map((f) => [f.name as string, f]));
    for (const c of all) {
      const f = byName.get(c.image!)!;
      expect(f.lora_file).toBe(c.final ? `${training.result_lora_id}.safetensors` : `checkpoint_${pad(c.step)}.safetensors`);
      expect(f.strength).toBe(c.strength);
      expect(f.seed).toBe(c.seed);
    }
  });

  it('takes a list of checkpoints (the final LoRA always added), default prompts, and refuses a step that is not there', async () => {
    await stack.spawnWorker();
    const { body } = await stack.call<{ id: string }>('evaluations.start', { training_id: training.id, checkpoints: [50], strengths: [1] });
    const done = await stack.waitFor(body.id);
    expect(done.status, done.error).toBe('completed');
    const g = await grid(body.id);
    expect(g.rows.map((r) => r.step)).toEqual([50, 100]);
    expect(g.prompts).toHaveLength(2);
    for (const p of g.prompts) expect(p).toContain('eva_person');
    expect(cells(g)).toHaveLength(2 * 1 * 2);

    const missing = await stack.call<TrpcError>('evaluations.start', { training_id: training.id, checkpoints: [60] });
    expect([missing.status, missing.body.message]).toEqual([400, `Parameter 'checkpoints': job '${training.id}' has no checkpoint at step 60 (it has: 25, 50, 75, 100)`]);
    const bad = await stack.call<TrpcError>('evaluations.start', { training_id: training.id, strengths: [3] });
    expect([bad.status, bad.body.message]).toEqual([400, "Parameter 'strengths' above maximum (2)"]);
    const many = await stack.call<TrpcError>('evaluations.start', { training_id: training.id, prompts: ['a', 'b', 'c', 'd', 'e'] });
    expect([many.status, many.body.message]).toEqual([400, "Parameter 'prompts' must have 1 to 4 prompts"]);

    const list = (await stack.call<{ id: string; status: string }[]>('evaluations.list', { training_id: training.id })).body;
    expect(list.map((e) => e.id)).toContain(body.id);
    expect(list[0]!.id).toBe(body.id); // newest first
  });

  it('"Use this" registers the checkpoint as a LoRA and makes it and the strength the character default', async () => {
    const [latest] = (await stack.call<{ id: string }[]>('evaluations.list', { training_id: training.id })).body;
    const { status, body: character } = await stack.call<Character>('evaluations.use', { id: latest!.id, step: 50, strength: 0.8 });
    expect(status, JSON.stringify(character)).toBe(200);
    const lora = (await stack.call<Lora>('loras.get', { id: character.generation_defaults!.lora_id })).body;
    expect(lora).toMatchObject({ from_checkpoint: { job_id: training.id, step: 50 } });
    expect(character.generation_defaults).toEqual({ lora_id: lora.id, strength: 0.8 });
    expect((await stack.call<Character>('characters.get', { id: characterId })).body.generation_defaults).toEqual({ lora_id: lora.id, strength: 0.8 });
    expect((await grid(latest!.id)).rows.find((r) => r.step === 50)!.lora_id).toBe(lora.id);

    const final = (await stack.call<Character>('evaluations.use', { id: latest!.id, step: 100, strength: 1.2 })).body;
    expect(final.generation_defaults).toEqual({ lora_id: training.result_lora_id, strength: 1.2 });
    const none = await stack.call<TrpcError>('evaluations.use', { id: latest!.id, step: 75, strength: 1 });
    expect([none.status, none.body.message]).toEqual([400, `Parameter 'step': evaluation '${latest!.id}' has no row at step 75 (it has: 50, 100)`]);
  });

  it('a cancel mid-grid keeps the finished cells', async () => {
    await stack.spawnWorker({ MOCK_STEP_MS: '25' }); // 20 steps: about half a second per image
    const { body } = await stack.call<{ id: string }>('evaluations.start', { training_id: training.id, strengths: [0.6, 0.8, 1.0, 1.2], prompts: ['eva_person'] });
    await stack.waitFor(body.id, (r) => r.outputs.length >= 2, 30_000);
    await stack.call('jobs.cancel', { id: body.id });
    const done = await stack.waitFor(body.id);
    expect(done.status).toBe('cancelled');
    const g = await grid(body.id);
    const finished = cells(g).filter((c) => c.image !== null);
    expect(finished.length).toBeGreaterThanOrEqual(2);
    expect(finished.length).toBeLessThan(16);
    for (const c of finished) expect(fs.existsSync(path.join(stack.volume, 'outputs', body.id, c.image!))).toBe(true);
    expect(cells(g).filter((c) => c.image === null).every((c) => /cancelled/.test(c.error ?? ''))).toBe(true);
  });
});

describe('live evaluation (evaluate_during_training)', () => {
  /** Polls the training and its live grid until both are final; what was seen while the training ran. */
  async function follow(trainingId: string) {
    let evaluationId: string | undefined;
    let imagesWhileTraining = 0;
    const evaluationStatusesWhileTraining = new Set<string>();
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const t = (await stack.call<JobRecord>('training.get', { id: trainingId })).body;
      evaluationId ??= (await stack.call<{ id: string }[]>('evaluations.list', { training_id: trainingId })).body[0]?.id;
      if (evaluationId && t.status === 'running') {
        const g = await grid(evaluationId);
        const fresh = (await stack.call<JobRecord>('training.get', { id: trainingId })).body;
        if (fresh.status === 'running') {
          imagesWhileTraining = Math.max(imagesWhileTraining, cells(g).filter((c) => c.image !== null).length);
          evaluationStatusesWhileTraining.add(g.status);
        }
      }
      if (t.status !== 'running' && t.status !== 'queued' && evaluationId && ['completed', 'failed', 'cancelled'].includes((await grid(evaluationId)).status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return { evaluationId: evaluationId!, imagesWhileTraining, evaluationStatusesWhileTraining };
  }

  it('with a second idle worker, rows are rendered while the training is still running', async () => {
    await stack.spawnWorker({ WORKER_NAME: 'gpu0', MOCK_STEP_MS: '40' }); // 200 steps: 8 s of training
    await stack.spawnWorker({ WORKER_NAME: 'gpu1', MOCK_STEP_MS: '5' });
    const training = await train({ config: { steps: 200 }, evaluate_during_training: true });
    const seen = await follow(training.id);
    expect(seen.imagesWhileTraining).toBeGreaterThan(0);
    const g = await grid(seen.evaluationId);
    expect(g.live).toBe(true);
    expect(g.status).toBe('completed');
    expect(g.rows.map((r) => [r.step, r.final])).toEqual([[50, false], [100, false], [150, false], [200, true]]);
    expect(cells(g).every((c) => c.image !== null)).toBe(true);
  }, 90_000);

  it('with one worker, the evaluation waits until the training has finished', async () => {
    await stack.spawnWorker({ MOCK_STEP_MS: '15' });
    const training = await train({ evaluate_during_training: true });
    const seen = await follow(training.id);
    expect(seen.imagesWhileTraining).toBe(0);
    expect([...seen.evaluationStatusesWhileTraining]).toEqual(['queued']);
    const g = await grid(seen.evaluationId);
    expect(g.status).toBe('completed');
    expect(g.rows.map((r) => [r.step, r.final])).toEqual([[25, false], [50, false], [75, false], [100, true]]);
    expect(cells(g)).toHaveLength(4 * 4 * 2);
    expect(cells(g).every((c) => c.image !== null)).toBe(true);
  }, 90_000);

  it('Keep Checkpoints waits for the live evaluation: on one worker every checkpoint still gets its row and can be used', async () => {
    await stack.spawnWorker({ MOCK_STEP_MS: '15' });
    const checkpointSteps = (r: JobRecord) => r.outputs.filter((o) => o.kind === 'checkpoint').map((o) => o.step).sort((a, b) => a! - b!);
    // Without an evaluation the training keeps only the newest one.
    const plain = await stack.waitFor((await train({ config: { steps: 100, keep_checkpoints: 1 } })).id);
    expect(plain.status, plain.error).toBe('completed');
    expect(checkpointSteps(plain)).toEqual([75]);

    const training = await train({ config: { steps: 100, keep_checkpoints: 1 }, evaluate_during_training: true });
    const seen = await follow(training.id);
    const g = await grid(seen.evaluationId);
    expect(g.status).toBe('completed');
    expect(g.rows.map((r) => [r.step, r.final])).toEqual([[25, false], [50, false], [75, false], [100, true]]);
    expect(cells(g).every((c) => c.image !== null)).toBe(true);
    const finished = (await stack.call<JobRecord>('training.get', { id: training.id })).body;
    expect(checkpointSteps(finished)).toEqual([25, 50, 75]);
    const held = (await readLogLines(stack.url, training.id)).filter((l) => l.event === 'trainer.checkpoints_held');
    expect(held).toHaveLength(1);
    expect(held[0]!.fields).toMatchObject({ keep: 1 });
    // "Use this" on an early row finds its checkpoint.
    const used = await stack.call<Character>('evaluations.use', { id: seen.evaluationId, step: 25, strength: 0.8 });
    expect(used.status, JSON.stringify(used.body)).toBe(200);
  }, 90_000);
});
