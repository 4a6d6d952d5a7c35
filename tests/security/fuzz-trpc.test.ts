/**
 * Property-based fuzzing of every tRPC procedure over real HTTP: hostile JSON at
 * every key and depth, by GET `?input=` and by POST body, the right method and the wrong one.
 * Invariants: never 5xx; every 400 names its parameter; nothing is written outside VOLUME_ROOT;
 * the server is still healthy afterwards.
 */
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { JOB_STATUSES, JOB_TYPES } from '../../src/shared/jobs.js';
import {
  allBounds,
  aroundBounds,
  hostileValue,
  nastyStrings,
  serialise,
  type Info,
} from './arbitraries.js';
import { expectNamed400, expectNo5xx, fcParams, NOT_JSON, PARAM_SENTENCE, rawRequest, volumeSandbox, type RawResponse } from './support.js';

type Kind = 'query' | 'mutation' | 'subscription';
interface Spec {
  proc: string;
  kind: Kind;
  keys?: string[];
  /** Documented domain sentences this procedure may answer 400 with, besides `Parameter '…'`. */
  extra400?: RegExp[];
  /** Its fixtures cannot make it succeed here (no checkpoint to resume from, say): only the refusals are checked. */
  refusalsOnly?: boolean;
}

const LIST = ['status', 'character_id', 'limit', 'cursor'];
/** Every procedure; destructive ones last so the fixtures serve the others first. */
const SPECS: Spec[] = [
  { proc: 'system.info', kind: 'query' },
  { proc: 'system.health', kind: 'query' },
  { proc: 'system.readiness', kind: 'query' },
  { proc: 'characters.list', kind: 'query' },
  { proc: 'characters.get', kind: 'query', keys: ['id'] },
  { proc: 'characters.create', kind: 'mutation', keys: ['name', 'trigger_word', 'description'] },
  { proc: 'characters.update', kind: 'mutation', keys: ['id', 'name', 'trigger_word', 'description'] },
  { proc: 'characters.setCaption', kind: 'mutation', keys: ['id', 'image', 'caption'] },
  { proc: 'characters.caption', kind: 'mutation', keys: ['id', 'mode', 'style', 'trigger'] },
  { proc: 'characters.captions.replace', kind: 'mutation', keys: ['id', 'find', 'replace', 'match_case', 'whole_word'] },
  { proc: 'characters.captions.trigger', kind: 'mutation', keys: ['id', 'action'] },
  { proc: 'characters.captions.accept', kind: 'mutation', keys: ['id', 'images'] },
  { proc: 'training.start', kind: 'mutation', keys: ['character_id', 'config', 'evaluate_during_training'], extra400: [/^Character 'char-[0-9a-f]{12}' has no images/] },
  { proc: 'training.list', kind: 'query', keys: LIST },
  { proc: 'training.get', kind: 'query', keys: ['id'] },
  { proc: 'training.cancel', kind: 'mutation', keys: ['id'] },
  { proc: 'training.resume', kind: 'mutation', keys: ['id'], refusalsOnly: true },
  { proc: 'training.continue', kind: 'mutation', keys: ['id', 'steps'], refusalsOnly: true },
  { proc: 'loras.fromCheckpoint', kind: 'mutation', keys: ['job_id', 'step'], refusalsOnly: true },
  { proc: 'training.deleteCheckpoint', kind: 'mutation', keys: ['job_id', 'step'], refusalsOnly: true },
  { proc: 'characters.purgePreview', kind: 'query', keys: ['id'] },
  { proc: 'generation.start', kind: 'mutation', keys: ['config', 'lora_id', 'count'] },
  { proc: 'evaluations.start', kind: 'mutation', keys: ['training_id', 'checkpoints', 'strengths', 'prompts', 'seed', 'width', 'height', 'steps'] },
  { proc: 'evaluations.get', kind: 'query', keys: ['id'] },
  { proc: 'evaluations.list', kind: 'query', keys: ['training_id'] },
  // A live grid of a training no worker runs has no rows yet: "Use this" can only be refused here.
  { proc: 'evaluations.use', kind: 'mutation', keys: ['id', 'step', 'strength'], refusalsOnly: true },
  { proc: 'evaluations.cancel', kind: 'mutation', keys: ['id'] },
  { proc: 'generation.list', kind: 'query', keys: LIST },
  { proc: 'generation.get', kind: 'query', keys: ['id'] },
  { proc: 'generation.cancel', kind: 'mutation', keys: ['id'] },
  { proc: 'jobs.get', kind: 'query', keys: ['id'] },
  { proc: 'jobs.list', kind: 'query', keys: [...LIST, 'type'] },
  { proc: 'jobs.cancel', kind: 'mutation', keys: ['id'] },
  { proc: 'jobs.onUpdate', kind: 'subscription', keys: ['jobId'] },
  { proc: 'jobs.onLog', kind: 'subscription', keys: ['jobId', 'lastEventId'] },
  { proc: 'jobs.prune', kind: 'mutation', keys: ['older_than_days', 'type'] },
  { proc: 'jobs.repairIndex', kind: 'mutation' },
  { proc: 'loras.list', kind: 'query', keys: ['character_id'] },
  { proc: 'loras.get', kind: 'query', keys: ['id'] },
  { proc: 'characters.deleteImage', kind: 'mutation', keys: ['id', 'image'] },
  { proc: 'characters.delete', kind: 'mutation', keys: ['id'] },
  { proc: 'loras.delete', kind: 'mutation', keys: ['id'] },
  { proc: 'characters.purge', kind: 'mutation', keys: ['id'] },
];

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let info: Info;
let pools: { ids: string[]; images: string[] };
let fieldArb: (key: string) => fc.Arbitrary<unknown>;
/** A valid input per procedure; the fuzzer mostly breaks exactly one thing in it. */
let validBase: Record<string, Record<string, unknown>>;

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-trpc-');
  // Quick mock jobs: fuzzed starts queue many, and a subscription on a job still queued behind them
  // only ends with that job (or its first ping).
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000', MOCK_STEP_MS: '1' } });
  info = (await (await fetch(`${stack.url}/api/info`)).json()) as Info;

  // Real objects, so fuzzed ids sometimes hit something and reach the deeper code.
  const withImages = await characterWithImages(stack, 2, 'fuzz_person');
  const empty = (await stack.call<{ id: string }>('characters.create', { name: 'Empty', trigger_word: 'empty_person' })).body.id;
  const image = (await stack.call<{ images: { name: string }[] }>('characters.get', { id: withImages })).body.images[0]!.name;
  const generation = (await stack.call<{ id: string }>('generation.start', { config: { prompt: 'a fuzz' } })).body.id;
  const training = (await stack.call<{ id: string }>('training.start', { character_id: withImages, config: {} })).body.id;
  // Its own training, kept out of the id pools: the fuzzed cancels must not finish it (a grid of a
  // cancelled training without checkpoints is refused with 409, and evaluations.start must also succeed).
  const evaluated = (await stack.call<{ id: string }>('training.start', { character_id: withImages, config: {} })).body.id;
  const evaluation = (await stack.call<{ id: string }>('evaluations.start', { training_id: evaluated })).body.id;
  const loraId = 'lora-0123456789ab';
  const loraSource = path.join(sandbox.volume, 'lora-source.safetensors');
  fs.writeFileSync(loraSource, 'not really a lora');
  await stack.api.infra.loras.register(
    { id: loraId, character_id: withImages, job_id: training, trigger_word: 'fuzz_person', steps: 100, lora_rank: 16, created_at: new Date().toISOString() },
    loraSource,
  );
  validBase = {
    'characters.get': { id: withImages },
    'characters.create': { name: 'Zed', trigger_word: 'zed_fuzz', description: 'd' },
    'characters.update': { id: empty, name: 'Renamed' },
    'characters.setCaption': { id: withImages, image, caption: 'a caption' },
    'characters.caption': { id: withImages, mode: 'missing', style: 'short', trigger: 'prefix' },
    'characters.captions.replace': { id: withImages, find: 'caption', replace: 'text', whole_word: true },
    'characters.captions.trigger': { id: withImages, action: 'add' },
    'characters.captions.accept': { id: withImages, images: [image] },
    'training.start': { character_id: withImages, config: { steps: 100 } },
    'training.list': { limit: 5 },
    'training.get': { id: training },
    'training.cancel': { id: training },
    'generation.start': { config: { prompt: 'a cat', width: 512, seed: 1 }, count: 1 },
    'generation.list': { limit: 5 },
    'generation.get': { id: generation },
    'generation.cancel': { id: generation },
    'jobs.get': { id: generation },
    'jobs.list': { type: 'generation' },
    'jobs.cancel': { id: (await stack.call<{ id: string }>('generation.start', { config: { prompt: 'to cancel' } })).body.id },
    'jobs.onUpdate': { jobId: generation },
    'jobs.onLog': { jobId: generation },
    'evaluations.start': { training_id: evaluated, strengths: [0.8, 1], prompts: ['a face'], seed: 3 },
    'evaluations.get': { id: evaluation },
    'evaluations.list': { training_id: evaluated },
    'evaluations.use': { id: evaluation, step: 100, strength: 1 },
    'evaluations.cancel': { id: (await stack.call<{ id: string }>('evaluations.start', { training_id: evaluated })).body.id },
    'training.resume': { id: training },
    'training.continue': { id: training, steps: 100 },
    'loras.fromCheckpoint': { job_id: training, step: 100 },
    'training.deleteCheckpoint': { job_id: training, step: 100 },
    'characters.purgePreview': { id: withImages },
    // A person made for the purge alone: the other fixtures must outlive it.
    'characters.purge': { id: (await stack.call<{ id: string }>('characters.create', { name: 'Purged', trigger_word: 'purge_person' })).body.id },
    'jobs.prune': { older_than_days: 3650 },
    'loras.list': { character_id: withImages },
    'loras.get': { id: loraId },
    'characters.deleteImage': { id: withImages, image },
    // Its own person too: a fuzzed caption call may leave a queued caption job on `empty`, and a
    // character with a job in progress is not deleted (409).
    'characters.delete': { id: (await stack.call<{ id: string }>('characters.create', { name: 'Deleted', trigger_word: 'deleted_person' })).body.id },
    'loras.delete': { id: loraId },
  };
  pools = {
    ids: [withImages, empty, generation, training, evaluation, loraId, 'evaluation-000000000000', 'char-000000000000', 'training-000000000000', 'generation-000000000000', 'lora-000000000000'],
    images: [image, 'img-000000000000.png', 'img-000000000000.webp'],
  };

  const ctx = { bounds: allBounds(info), sentinelFromVolume: path.relative(sandbox.volume, sandbox.sentinel) };
  const hostile = hostileValue(ctx);
  const text = nastyStrings(ctx);
  const mix = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: hostile });
  const paramValue = (p: Info['training']['parameters'][string]) =>
    mix(
      fc.oneof(
        fc.constantFrom(p.default, ...(p.options ?? [])),
        fc.constantFrom(...aroundBounds([p.min, p.max].filter((n): n is number => typeof n === 'number')), p.default),
      ),
    );
  const withExtras = (record: fc.Arbitrary<Record<string, unknown>>) =>
    fc.tuple(record, fc.dictionary(fc.string({ maxLength: 12 }), hostile, { maxKeys: 3 })).map(([known, extra]) => ({ ...extra, ...known }));
  const trainingConfig = withExtras(
    fc.record(Object.fromEntries(Object.entries(info.training.parameters).map(([k, p]) => [k, paramValue(p)])), { requiredKeys: [] }),
  );
  const imageCaps = info.image_generation;
  const imageConfig = withExtras(
    fc.record(
      {
        ...Object.fromEntries(Object.entries(imageCaps.parameters).map(([k, p]) => [k, paramValue(p)])),
        ...Object.fromEntries(Object.keys(imageCaps.toggles).map((k) => [k, mix(fc.boolean())])),
        prompt: mix(fc.oneof(fc.constant('a portrait'), text)),
        model_variant: mix(fc.constantFrom(...imageCaps.model_variants)),
        seed: mix(fc.constantFrom(...aroundBounds([0, Number.MAX_SAFE_INTEGER, 2 ** 32]))),
      },
      { requiredKeys: ['prompt'] },
    ),
  );
  const ids = mix(fc.constantFrom(...pools.ids));
  const byKey: Record<string, fc.Arbitrary<unknown>> = {
    id: ids,
    character_id: ids,
    lora_id: ids,
    jobId: ids,
    job_id: ids,
    steps: mix(fc.constantFrom(...aroundBounds([100, 10000]))),
    // evaluations.start: every cell's size (up to the default: a 2048 px mock render is slow to draw).
    width: mix(fc.constantFrom(...aroundBounds([512, 1024]))),
    height: mix(fc.constantFrom(...aroundBounds([512, 1024]))),
    step: mix(fc.constantFrom(...aroundBounds([0, 1_000_000]))),
    lastEventId: mix(fc.constantFrom('0', '5', '999999999999999', '1e3', '-1', '')),
    image: mix(fc.constantFrom(...pools.images)),
    name: mix(fc.oneof(fc.constant('Zed'), text)),
    trigger_word: mix(fc.oneof(fc.constantFrom('ab', 'a'.repeat(32), 'a'.repeat(33), 'a', 'Ab', '1a', 'a-b', 'fuzz_person'), text)),
    description: mix(text),
    caption: mix(text),
    find: mix(fc.oneof(fc.constantFrom('a', ', ', 'fuzz_person', 'x'.repeat(2001)), text)),
    replace: mix(fc.oneof(fc.constantFrom('', 'b', 'y'.repeat(2000)), text)),
    match_case: mix(fc.boolean()),
    whole_word: mix(fc.boolean()),
    action: mix(fc.constantFrom('add', 'remove', 'toggle')),
    images: mix(fc.oneof(fc.constant('all_machine'), fc.array(fc.constantFrom(...pools.images), { maxLength: 3 }))),
    status: mix(fc.constantFrom(...JOB_STATUSES)),
    type: mix(fc.constantFrom(...JOB_TYPES)),
    limit: mix(fc.constantFrom(...aroundBounds([1, 100]))),
    cursor: mix(fc.oneof(fc.constantFrom(...aroundBounds([0, Number.MAX_SAFE_INTEGER])), fc.constantFrom('a', 'r:1:generation-000000000000', 'a:99:training-000000000000'))),
    older_than_days: mix(fc.constantFrom(...aroundBounds([0, 36500]))),
    count: mix(fc.constantFrom(...aroundBounds([1, 4]))),
    training_id: ids,
    evaluate_during_training: mix(fc.boolean()),
    checkpoints: mix(fc.constantFrom('all', 'none', [100], [0, 1_000_000], [1_000_001], [], [-1], [1.5])),
    strengths: mix(fc.constantFrom([0.6, 0.8, 1, 1.2], [0], [2], [2.1], [-0.1], [], Array.from({ length: 9 }, () => 1))),
    prompts: mix(fc.oneof(fc.constantFrom(['a face'], [], ['a', 'b', 'c', 'd', 'e']), text.map((t) => [t]))),
    seed: mix(fc.constantFrom(...aroundBounds([0, Number.MAX_SAFE_INTEGER - 4]))),
    strength: mix(fc.constantFrom(...aroundBounds([0, 2]))),
    config: fc.oneof({ weight: 4, arbitrary: fc.constant('by-procedure') }, { weight: 1, arbitrary: hostile }),
    ...Object.fromEntries(Object.entries(info.captioning.parameters).map(([k, p]) => [k, paramValue(p)])),
  };
  fieldArb = (key: string) => {
    const arb = byKey[key] ?? hostile;
    if (key !== 'config') return arb;
    return arb.chain((v) => (v === 'by-procedure' ? fc.oneof(trainingConfig, imageConfig) : fc.constant(v)));
  };
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

/** An input for the procedure: usually an object with its keys (each valid or hostile) plus junk keys; sometimes anything at all. */
function inputFor(spec: Spec, hostile: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const keys = spec.keys ?? ['id'];
  const record = fc.record(Object.fromEntries(keys.map((k) => [k, fieldArb(k)])), { requiredKeys: [] });
  const object = fc.tuple(record, fc.dictionary(fc.string({ maxLength: 12 }), hostile, { maxKeys: 2 })).map(([known, extra]) => ({ ...extra, ...known }));
  const base = validBase[spec.proc] ?? {};
  // One thing broken in a valid input: a key (or a config key, or a new key) set to a hostile value, or removed.
  const configKeys = [...Object.keys(info.training.parameters), ...Object.keys(info.image_generation.parameters), ...Object.keys(info.image_generation.toggles), 'prompt', 'model_variant', 'seed'];
  const target = fc.oneof(
    fc.constantFrom(...keys).map((k) => [k]),
    keys.includes('config') ? fc.constantFrom(...configKeys).map((k) => ['config', k]) : fc.constantFrom(...keys).map((k) => [k]),
    fc.string({ maxLength: 8 }).map((k) => [k]),
  );
  const oneBroken = fc.tuple(target, fc.option(hostile, { freq: 8, nil: undefined })).map(([where, value]) => {
    const copy = structuredClone(base) as Record<string, unknown>;
    const parent = where.length === 2 && typeof copy[where[0]!] === 'object' && copy[where[0]!] !== null ? (copy[where[0]!] as Record<string, unknown>) : copy;
    const key = where[where.length - 1]!;
    if (value === undefined) delete parent[key];
    else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  });
  return fc
    .oneof(
      { weight: 6, arbitrary: oneBroken },
      { weight: 5, arbitrary: object },
      { weight: 1, arbitrary: fc.constant(base) },
      { weight: 2, arbitrary: hostile },
      { weight: 1, arbitrary: fc.constant(undefined) },
    );
}

const CORRECT: Record<Kind, 'GET' | 'POST'> = { query: 'GET', mutation: 'POST', subscription: 'GET' };

async function callProc(spec: Spec, method: 'GET' | 'POST', text: string | undefined, contentType: string | null): Promise<RawResponse> {
  const sse = spec.kind === 'subscription';
  const headers: Record<string, string> = {};
  if (sse) headers.accept = 'text/event-stream';
  if (method === 'POST' && contentType) headers['content-type'] = contentType;
  const query = method === 'GET' && text !== undefined ? `?input=${encodeURIComponent(text)}` : '';
  return rawRequest(stack.url, {
    method,
    path: `/api/trpc/${spec.proc}${query}`,
    headers,
    body: method === 'POST' ? text : undefined,
    // A subscription on a live job never ends by itself: stop after the first event past `connected`,
    // which at the latest is the ping the server sends every 10 s (trpc.ts).
    until: sse ? (t) => (t.match(/\n\n/g)?.length ?? 0) >= 2 : undefined,
    ...(sse ? { timeoutMs: 15_000 } : {}),
  });
}

/** SSE: errors travel in-band as `serialized-error` events. */
function checkSse(res: RawResponse, what: string): void {
  if (res.status !== 200) return;
  expect(res.headers['content-type'], what).toMatch(/text\/event-stream/);
  for (const block of res.text.split('\n\n')) {
    if (!/^event: serialized-error/m.test(block)) continue;
    const { message, data } = JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { message: string; data: { code: string; httpStatus: number } };
    if (data.code === 'BAD_REQUEST') {
      expect(PARAM_SENTENCE.test(message) || NOT_JSON.test(message), `${what}: ${message}`).toBe(true);
      expect(data.httpStatus, what).toBe(400);
    } else if (data.code === 'METHOD_NOT_SUPPORTED') {
      expect(data.httpStatus, what).toBe(405); // its message reads "Internal server error": reported (error-mapping.ts)
    } else if (data.code === 'NOT_FOUND') {
      expect(data.httpStatus, what).toBe(404);
      expect(message, what).toMatch(/^(Job '[^']*' not found|Log file not found)$/);
    } else {
      // KNOWN BUG (reported): a missing job arrives in-band as INTERNAL_SERVER_ERROR/500, not NOT_FOUND/404:
      // errors thrown while a subscription iterates bypass the mapErrors middleware (trpc.ts).
      expect(message, what).toMatch(/^Job '[^']*' not found$/);
    }
  }
}

describe('tRPC procedures under hostile input', () => {
  for (const spec of SPECS) {
    it(`${spec.proc} (${spec.kind}): never 5xx, every 400 names its parameter`, async () => {
      const seen = new Map<number, number>();
      const hostile = hostileValue({ bounds: allBounds(info), sentinelFromVolume: path.relative(sandbox.volume, sandbox.sentinel) });
      const method = fc.oneof(
        { weight: 6, arbitrary: fc.constant(CORRECT[spec.kind]) },
        { weight: 1, arbitrary: fc.constant(CORRECT[spec.kind] === 'GET' ? ('POST' as const) : ('GET' as const)) },
      );
      const contentType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(null, 'text/plain', 'application/x-www-form-urlencoded') });
      await fc.assert(
        fc.asyncProperty(inputFor(spec, hostile), method, contentType, async (input, m, ct) => {
          const text = serialise(input);
          const res = await callProc(spec, m, text, ct);
          const what = `${m} ${spec.proc} ${String(text).slice(0, 200)}`;
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          expectNo5xx(res.status, what, res.text);
          if (res.status === 400) expectNamed400(res.text, what, spec.extra400);
          if (spec.kind === 'subscription') checkSse(res, what);
        }),
        fcParams(),
      );
      // Not vacuous: procedures with inputs were refused at least once, and every one also succeeded.
      if (spec.keys && spec.kind !== 'subscription') expect(seen.get(400) ?? 0, `${spec.proc} statuses ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
      const ok = [...seen].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
      if (!spec.refusalsOnly) expect(ok, `${spec.proc} statuses ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    });
  }

  it('batched calls: every item is answered, none 5xx, every 400 named', async () => {
    const hostile = hostileValue({ bounds: allBounds(info), sentinelFromVolume: path.relative(sandbox.volume, sandbox.sentinel) });
    const queries = SPECS.filter((s) => s.kind === 'query');
    const mutations = SPECS.filter((s) => s.kind === 'mutation' && !/delete|purge/i.test(s.proc));
    const batch = fc.oneof(
      fc.tuple(fc.constant('GET' as const), fc.array(fc.constantFrom(...queries), { minLength: 1, maxLength: 4 })),
      fc.tuple(fc.constant('POST' as const), fc.array(fc.constantFrom(...mutations), { minLength: 1, maxLength: 4 })),
    );
    await fc.assert(
      fc.asyncProperty(batch.chain(([m, specs]) => fc.tuple(fc.constant(m), fc.constant(specs), fc.tuple(...specs.map((s) => inputFor(s, hostile))))), async ([m, specs, inputs]) => {
        const text = serialise(Object.fromEntries(inputs.map((v, i) => [String(i), v])));
        const procs = specs.map((s) => s.proc).join(',');
        const res = await rawRequest(stack.url, {
          method: m,
          path: `/api/trpc/${procs}?batch=1${m === 'GET' ? `&input=${encodeURIComponent(text ?? '{}')}` : ''}`,
          headers: m === 'POST' ? { 'content-type': 'application/json' } : {},
          body: m === 'POST' ? text : undefined,
        });
        const what = `${m} batch ${procs} ${String(text).slice(0, 200)}`;
        expectNo5xx(res.status, what, res.text);
        if (res.status === 431 || res.status === 413) return;
        const items = JSON.parse(res.text) as unknown[];
        expect(Array.isArray(items) && items.length === specs.length, what).toBe(true);
        for (const item of items as { error?: { data?: { httpStatus?: number } } }[]) expect(item.error?.data?.httpStatus ?? 200, what).toBeLessThan(500);
        expectNamed400(res.text, what, [/^Character 'char-[0-9a-f]{12}' has no images/, /^"input" needs to be an object when doing a batch call$/], { requireError: false });
      }),
      fcParams(100),
    );
  });
});

describe('raw bodies no JSON encoder would produce', () => {
  const post = (proc: string, body: string) =>
    rawRequest(stack.url, { method: 'POST', path: `/api/trpc/${proc}`, headers: { 'content-type': 'application/json' }, body });
  const get = (proc: string, input: string) => rawRequest(stack.url, { path: `/api/trpc/${proc}?input=${encodeURIComponent(input)}` });

  it('10 000 levels of nesting, as objects, arrays and under every key: 400 naming the parameter', async () => {
    const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const deepArray = '['.repeat(10_000) + ']'.repeat(10_000);
    for (const spec of SPECS.filter((s) => s.kind === 'mutation')) {
      for (const body of [deepArray, deepObject, ...(spec.keys ?? []).map((k) => `{"${k}":${deepArray}}`), `{"config":{"prompt":"x","steps":${deepObject}}}`]) {
        const res = await post(spec.proc, body);
        expectNo5xx(res.status, `${spec.proc} deep`, res.text);
        if (res.status === 400) expectNamed400(res.text, `${spec.proc} deep`, spec.extra400);
      }
    }
    // 1 MB of nesting (about 500 000 levels) and an unterminated one.
    const mega = '['.repeat(520_000) + ']'.repeat(520_000);
    for (const body of [mega, '['.repeat(1_000_000), '{"config":'.repeat(100_000)]) {
      const res = await post('generation.start', body);
      expect([400, 413], res.text.slice(0, 200)).toContain(res.status);
      if (res.status === 400) expectNamed400(res.text, 'mega deep');
    }
    // Via the query string the same depth is refused before parsing (header limit), never with 5xx.
    for (const spec of SPECS.filter((s) => s.kind === 'query' && s.keys)) {
      const res = await get(spec.proc, '['.repeat(10_000) + ']'.repeat(10_000));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('1e999, NaN, Infinity and friends at every numeric bound: refused with the parameter named', async () => {
    const numeric = [
      ...Object.entries(info.image_generation.parameters).filter(([, p]) => p.type !== 'enum').map(([k]) => k),
      'seed',
    ];
    for (const key of numeric) {
      for (const token of ['1e999', '-1e999', '"NaN"', '"Infinity"', '"-Infinity"', '9007199254740993', '1e-999']) {
        const res = await post('generation.start', `{"config":{"prompt":"x","${key}":${token}}}`);
        const what = `${key}=${token}`;
        if (res.status === 200) {
          // Only a value that parses to something in range may pass (1e-999 → 0, 2^53+1 → 2^53 for seed).
          expect(['1e-999', '9007199254740993'], what).toContain(token);
          continue;
        }
        expect(res.status, what).toBe(400);
        const message = (JSON.parse(res.text) as { error: { message: string } }).error.message;
        expect(message, what).toMatch(new RegExp(`^Parameter '${key}' (must be|below|above)`));
      }
      for (const token of ['NaN', 'Infinity', '-Infinity', '01', '.5', '+1']) {
        const res = await post('generation.start', `{"config":{"prompt":"x","${key}":${token}}}`);
        expect(res.status, `${key}=${token}`).toBe(400);
        expectNamed400(res.text, `${key}=${token}`);
      }
    }
    for (const [key, p] of Object.entries(info.training.parameters)) {
      for (const v of aroundBounds([p.min, p.max].filter((n): n is number => typeof n === 'number'))) {
        const res = await post('training.start', JSON.stringify({ character_id: pools.ids[0], config: { [key]: v } }));
        const what = `training ${key}=${v}`;
        expectNo5xx(res.status, what, res.text);
        if (res.status !== 400) continue;
        const message = (JSON.parse(res.text) as { error: { message: string } }).error.message;
        expect(message, what).toMatch(new RegExp(`^Parameter '${key}' `));
        if (p.wired && typeof p.min === 'number' && typeof p.max === 'number' && Number.isFinite(v)) {
          const expected =
            p.type === 'int' && !Number.isInteger(v) ? 'must be an integer' : v < p.min ? `below minimum (${p.min})` : v > p.max ? `above maximum (${p.max})` : null;
          expect(expected, `${what} refused though in range: ${message}`).not.toBeNull();
          expect(message, what).toBe(`Parameter '${key}' ${expected}`);
        }
      }
    }
  });

  it('image parameters at and just past every bound: exactly the documented sentence', async () => {
    for (const [key, p] of Object.entries(info.image_generation.parameters)) {
      if (typeof p.min !== 'number' || typeof p.max !== 'number') continue;
      for (const v of aroundBounds([p.min, p.max])) {
        const res = await post('generation.start', JSON.stringify({ config: { prompt: 'bounds', [key]: v } }));
        const what = `generation ${key}=${v}`;
        const expected =
          p.type === 'int' && !Number.isInteger(v)
            ? 'must be an integer'
            : v < p.min
              ? `below minimum (${p.min})`
              : v > p.max
                ? `above maximum (${p.max})`
                : (key === 'width' || key === 'height') && v % 16 !== 0
                  ? 'must be a multiple of 16'
                  : null;
        if (expected === null) {
          expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(200);
        } else {
          expect(res.status, what).toBe(400);
          expect((JSON.parse(res.text) as { error: { message: string } }).error.message, what).toBe(`Parameter '${key}' ${expected}`);
        }
      }
    }
  });

  it('arrays (and other non-objects) where objects belong: the input or config is named', async () => {
    for (const spec of SPECS.filter((s) => s.keys)) {
      for (const body of ['[]', '[{}]', '"x"', '1', 'true']) {
        const res = spec.kind === 'mutation' ? await post(spec.proc, body) : await get(spec.proc, body);
        if (spec.kind === 'subscription') {
          expect(res.status, `${spec.proc} ${body}`).toBe(200);
          continue;
        }
        expect(res.status, `${spec.proc} ${body}`).toBe(400);
        expect((JSON.parse(res.text) as { error: { message: string } }).error.message, `${spec.proc} ${body}`).toBe("Parameter 'input' must be a JSON object");
      }
    }
    for (const [proc, extra] of [['generation.start', {}], ['training.start', { character_id: pools.ids[0] }]] as const) {
      for (const config of [[], [{ prompt: 'x' }], 'x', 5, true]) {
        const res = await post(proc, JSON.stringify({ ...extra, config }));
        expect([res.status, (JSON.parse(res.text) as { error: { message: string } }).error.message], `${proc} config=${JSON.stringify(config)}`).toEqual([
          400,
          "Parameter 'config' must be an object",
        ]);
      }
    }
  });

  it('a config key named like an Object.prototype member is dropped as unknown', async () => {
    for (const key of ['toString', '__proto__', 'valueOf', 'constructor', 'hasOwnProperty']) {
      const res = await post('generation.start', `{"config":{"prompt":"x","${key}":1}}`);
      expect(res.status, key).toBe(200);
    }
  });

  it('nothing was written outside VOLUME_ROOT, and the server is healthy', async () => {
    sandbox.assertNothingOutside();
    expect(fs.readdirSync(stack.volume)).toEqual([]); // the stack's default volume was never used
    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
  });
});
