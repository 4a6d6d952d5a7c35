/**
 * Mutations are rate-limited per client. With RATE_LIMIT_PER_MINUTE=5 the 6th
 * mutation in a minute is 429 with Retry-After (seconds) and a clear message; queries are not
 * limited; uploads count as mutations. Each test is its own client (X-Forwarded-For, which this
 * server trusts from a loopback proxy: TRUST_PROXY=127.0.0.0/8), so tests do not share a budget.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { MULTIPART, multipart, rawRequest, sleep, volumeSandbox, type RawResponse } from './support.js';

const LIMIT = 5;
let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let character: string;
let png: Buffer;
let clientNo = 0;
const newClient = () => ({ 'x-forwarded-for': `198.51.100.${++clientNo}` });

/** Start a burst early in a minute, so the Retry-After bound (the minute's end) stays meaningful. */
async function freshWindow(needMs = 8000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await sleep(left + 100);
}

const mutation = (client: Record<string, string>, n: number) =>
  rawRequest(stack.url, {
    method: 'POST',
    path: '/api/trpc/characters.create',
    headers: { 'content-type': 'application/json', ...client },
    body: JSON.stringify({ name: `Rate ${n}`, trigger_word: 'rate_person' }),
  });
const invalidMutation = (client: Record<string, string>) =>
  rawRequest(stack.url, { method: 'POST', path: '/api/trpc/generation.start', headers: { 'content-type': 'application/json', ...client }, body: '{"config":{}}' });
const upload = (client: Record<string, string>) =>
  rawRequest(stack.url, {
    method: 'POST',
    path: `/api/characters/${character}/images`,
    headers: { 'content-type': MULTIPART, ...client },
    body: multipart([{ filename: 'p.png', data: png }]),
  });

function expect429(res: RawResponse, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 200)}`).toBe(429);
  const retryAfter = res.headers['retry-after'];
  expect(retryAfter, what).toMatch(/^\d+$/);
  expect(Number(retryAfter), what).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter), what).toBeLessThanOrEqual(60);
  const body = JSON.parse(res.text) as { error: string | { message: string; data: { code: string } } };
  const message = typeof body.error === 'string' ? body.error : body.error.message;
  expect(message, what).toBe(`Too many requests: at most ${LIMIT} changes per minute; retry in ${retryAfter} s`);
  if (typeof body.error !== 'string') expect(body.error.data.code, what).toBe('TOO_MANY_REQUESTS');
}

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-rate-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: '127.0.0.0/8,::1' } });
  character = (await stack.api.services.characters.create({ name: 'Rate', trigger_word: 'rate_person' })).id;
  png = await pngOf(300, 300);
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

describe('RATE_LIMIT_PER_MINUTE=5', () => {
  it('the 6th mutation from one client in a minute is 429 with Retry-After and a clear message', async () => {
    await freshWindow();
    const client = newClient();
    for (let i = 1; i <= LIMIT; i++) expect((await mutation(client, i)).status, `mutation ${i}`).toBe(200);
    expect429(await mutation(client, 6), '6th mutation');
    expect429(await mutation(client, 7), '7th mutation');
    // Refused mutations did nothing.
    const names = (await stack.api.services.characters.list()).map((c) => c.name);
    expect(names).not.toContain('Rate 6');
    // Another client is unaffected.
    expect((await mutation(newClient(), 1)).status).toBe(200);
  });

  it('the real peer address is the client when no proxy header is sent', async () => {
    await freshWindow();
    // All other tests use forwarded addresses, so the loopback address has its full budget here.
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i++) statuses.push((await mutation({}, i)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('mutations with invalid input count too (validation comes after the limiter)', async () => {
    await freshWindow();
    const client = newClient();
    for (let i = 0; i < LIMIT; i++) expect((await invalidMutation(client)).status).toBe(400);
    expect429(await invalidMutation(client), '6th invalid mutation');
  });

  it('generation.start, counted inside the job create: the 6th is 429 and creates nothing; it shares the budget', async () => {
    await freshWindow();
    const generate = (client: Record<string, string>, lora_id?: string) =>
      rawRequest(stack.url, {
        method: 'POST',
        path: '/api/trpc/generation.start',
        headers: { 'content-type': 'application/json', ...client },
        body: JSON.stringify({ config: { prompt: 'rate generation' }, ...(lora_id ? { lora_id } : {}) }),
      });
    const generations = async () => (await stack.api.infra.store.list({ type: 'generation', limit: 1000 })).items.length;
    const a = newClient();
    const before = await generations();
    for (let i = 1; i <= LIMIT; i++) expect((await generate(a)).status, `generation ${i}`).toBe(200);
    expect429(await generate(a), '6th generation');
    expect(await generations()).toBe(before + LIMIT);
    expect429(await mutation(a, 1), 'a mutation after 5 generations');

    const b = newClient();
    for (let i = 0; i < LIMIT - 1; i++) expect((await mutation(b, i)).status).toBe(200);
    expect((await generate(b)).status, '5th change, a generation').toBe(200);
    expect429(await generate(b), 'generation after 5 changes');

    // Refused before its create (an unknown LoRA): still counted, and past the limit it is a 429.
    const c = newClient();
    for (let i = 0; i < LIMIT; i++) expect((await generate(c, 'lora-000000000000')).status).toBe(404);
    expect429(await generate(c, 'lora-000000000000'), '6th generation with an unknown LoRA');
    expect429(await generate(c), 'a valid generation after that');
    expect(await generations()).toBe(before + LIMIT + 1);
  });

  it('queries are not limited, before or after the mutation budget is spent', async () => {
    await freshWindow();
    const client = newClient();
    const job = (await stack.api.services.generation.start({ config: { prompt: 'rate' }, count: 1 })).id;
    const queries = [
      '/api/trpc/characters.list',
      `/api/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: job }))}`,
      '/api/trpc/system.info',
      '/api/info',
      `/api/jobs/${job}/logs`,
    ];
    for (let round = 0; round < 4; round++) {
      for (const path of queries) expect((await rawRequest(stack.url, { path, headers: client })).status, path).toBe(200);
    }
    for (let i = 0; i < LIMIT; i++) await mutation(client, i);
    expect429(await mutation(client, 99), 'spent budget');
    for (const path of queries) expect((await rawRequest(stack.url, { path, headers: client })).status, `${path} after the budget is spent`).toBe(200);
  });

  it('uploads count as mutations: the 6th upload is 429, and uploads and tRPC mutations share one budget', async () => {
    await freshWindow();
    const a = newClient();
    for (let i = 0; i < LIMIT; i++) expect((await upload(a)).status, `upload ${i + 1}`).toBe(200);
    expect429(await upload(a), '6th upload');
    expect429(await mutation(a, 1), 'mutation after 5 uploads');

    const b = newClient();
    for (let i = 0; i < LIMIT - 1; i++) expect((await mutation(b, i)).status).toBe(200);
    expect((await upload(b)).status, '5th change, an upload').toBe(200);
    expect429(await upload(b), 'upload after 5 changes');
  });

  it('a batch of mutations counts each one', async () => {
    await freshWindow();
    const client = newClient();
    const input = Object.fromEntries(Array.from({ length: LIMIT + 1 }, (_, i) => [String(i), { name: `B${i}`, trigger_word: 'batch_person' }]));
    const res = await rawRequest(stack.url, {
      method: 'POST',
      path: `/api/trpc/${Array.from({ length: LIMIT + 1 }, () => 'characters.create').join(',')}?batch=1`,
      headers: { 'content-type': 'application/json', ...client },
      body: JSON.stringify(input),
    });
    const items = JSON.parse(res.text) as { error?: { data: { code: string } } }[];
    expect(items.filter((i) => i.error?.data.code === 'TOO_MANY_REQUESTS')).toHaveLength(1);
    expect(items.filter((i) => !i.error)).toHaveLength(LIMIT);
  });
});
