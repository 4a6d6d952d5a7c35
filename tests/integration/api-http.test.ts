/** The real API server on a free port, called with fetch (no worker needed). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => stack?.stop());

type TrpcError = { message: string; data: { code: string; httpStatus: number; issues: { param: string; message: string }[] } };

describe('GET /api/info', () => {
  it('returns the capability schema (seed contract)', async () => {
    const res = await fetch(`${stack.url}/api/info`);
    expect(res.status).toBe(200);
    const data = (await res.json()) as Record<string, any>;
    expect(data.name).toBe('Isengard API');
    expect(data.version).toBe('0.1.0');
    expect(data.mode).toBe('fast-test');
    expect(data.training).toMatchObject({ method: 'lora', backend: 'mock' });
    expect(data.image_generation.backend).toBe('mock');
    expect(data.captioning).toMatchObject({ backend: 'mock', model: 'isengard/mock-captioner' });
    for (const [name, param] of Object.entries<Record<string, any>>(data.training.parameters)) {
      expect(['int', 'float', 'enum', 'bool', 'string'], name).toContain(param.type);
      expect('default' in param && 'wired' in param, name).toBe(true);
      if (param.type === 'enum') expect(param.options.length).toBeGreaterThan(0);
      if ('min' in param && 'max' in param) expect(param.min <= param.default && param.default <= param.max).toBe(true);
    }
  });

  it('is the same object as tRPC system.info', async () => {
    const plain = await (await fetch(`${stack.url}/api/info`)).json();
    const { body } = await stack.call('system.info');
    expect(body).toEqual(plain);
  });
});

describe('correlation ids', () => {
  it('echoes a given id, on success and on error, on plain routes and tRPC', async () => {
    for (const path of ['/api/info', '/api/trpc/system.info', '/api/jobs/x..y/logs', '/api/nope', '/some/client/route']) {
      const res = await fetch(`${stack.url}${path}`, { headers: { 'X-Correlation-ID': 'test-corr-12345' } });
      expect(res.headers.get('x-correlation-id'), path).toBe('test-corr-12345');
    }
  });

  it('makes one when missing or invalid', async () => {
    const a = await fetch(`${stack.url}/api/info`);
    expect(a.headers.get('x-correlation-id')).toMatch(/^api-[0-9a-f]{12}$/);
    const b = await fetch(`${stack.url}/api/info`, { headers: { 'X-Correlation-ID': 'bad id with spaces' } });
    expect(b.headers.get('x-correlation-id')).toMatch(/^api-[0-9a-f]{12}$/);
  });

  it('stores the header in the Redis job record (seed test)', async () => {
    const res = await fetch(`${stack.url}/api/trpc/generation.start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-Correlation-ID': 'test-corr-67890' },
      body: JSON.stringify({ config: { prompt: 'a cat' } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('test-corr-67890');
    const job = ((await res.json()) as { result: { data: { id: string } } }).result.data;
    expect(job.id).toMatch(/^generation-[0-9a-f]{12}$/);
    const stored = await stack.api.infra.store.get(job.id);
    expect(stored?.correlation_id).toBe('test-corr-67890');
  });
});

describe('validation over HTTP', () => {
  it('400 with the exact sentence and every issue listed', async () => {
    const { status, body } = await stack.call<TrpcError>('generation.start', {
      config: { prompt: 'x', width: 1000, steps: 0, use_controlnet: true },
      count: 9,
    });
    expect(status).toBe(400);
    expect(body.data.code).toBe('BAD_REQUEST');
    expect(body.message).toBe("Parameter 'width' must be a multiple of 16");
    expect(body.data.issues).toEqual([
      { param: 'width', message: "Parameter 'width' must be a multiple of 16" },
      { param: 'steps', message: "Parameter 'steps' below minimum (1)" },
      { param: 'use_controlnet', message: "Toggle 'use_controlnet' not supported by mock: Workflow not implemented" },
      { param: 'count', message: "Parameter 'count' above maximum (4)" },
    ]);
  });

  it('rejects an unwired training parameter with backend and reason', async () => {
    const character = await stack.api.services.characters.create({ name: 'Ann', trigger_word: 'ann_person' });
    const { status, body } = await stack.call<TrpcError>('training.start', { character_id: character.id, config: { network_alpha: 32 } });
    expect(status).toBe(400);
    expect(body.message).toBe("Parameter 'network_alpha' not supported by mock: Planned for Phase 2");
  });

  it('training needs an existing character with images', async () => {
    const missing = await stack.call<TrpcError>('training.start', { character_id: 'char-000000000000', config: {} });
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe("Character 'char-000000000000' not found");
    const character = await stack.api.services.characters.create({ name: 'Bo', trigger_word: 'bo_person' });
    const empty = await stack.call<TrpcError>('training.start', { character_id: character.id });
    expect(empty.status).toBe(400);
    expect(empty.body.data.issues[0]?.param).toBe('character_id');
    expect(empty.body.message).toMatch(/has no images/);
  });

  it('bad ids name the parameter', async () => {
    const { status, body } = await stack.call<TrpcError>('jobs.get', { id: '../../etc/passwd' });
    expect(status).toBe(400);
    expect(body.message).toBe("Parameter 'id' is not a valid id");
    const missing = await stack.call<TrpcError>('jobs.get', { id: 'training-000000000000' });
    expect(missing.status).toBe(404);
  });

  it('malformed JSON, non-object bodies and huge bodies are 4xx, never 500', async () => {
    const post = (body: string, type = 'application/json') =>
      fetch(`${stack.url}/api/trpc/generation.start`, { method: 'POST', headers: { 'content-type': type }, body });
    const malformed = await post('{"config": {');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: TrpcError }).error.message).toMatch(/not valid JSON/);
    const notObject = await post('[1,2,3]');
    expect(notObject.status).toBe(400);
    expect(((await notObject.json()) as { error: TrpcError }).error.message).toBe("Parameter 'input' must be a JSON object");
    const huge = await post(JSON.stringify({ config: { prompt: 'x'.repeat(1_100_000) } }));
    expect(huge.status).toBe(413);
    const textPlain = await post('hello', 'text/plain');
    expect(textPlain.status).toBeGreaterThanOrEqual(400);
    expect(textPlain.status).toBeLessThan(500);
    const deep = await post(JSON.stringify({ config: { prompt: 'x', width: { a: { b: { c: [1, { d: 2 }] } } } } }));
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: TrpcError }).error.message).toBe("Parameter 'width' must be an integer");
  });

  it('unknown procedures and routes are 404', async () => {
    expect((await fetch(`${stack.url}/api/trpc/nope.nothing`)).status).toBe(404);
    expect((await fetch(`${stack.url}/api/nothing`)).status).toBe(404);
  });
});

describe('health', () => {
  it('reports redis and workers', async () => {
    const res = await fetch(`${stack.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', redis: 'ok', workers: 0 });
  });
});
