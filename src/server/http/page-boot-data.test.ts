/** index.html's inlined first data: which answers, how they are escaped, what is left out. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { BOOT_DATA_ELEMENT_ID, type BootData } from '../../shared/boot-queries.js';
import { activeManifests } from '../active-manifests.js';
import { createAppRouter } from '../routers/index.js';
import type { Services } from '../services/index.js';
import { bootDataElement, createPageBootData, scriptSafeJson } from './page-boot-data.js';

const HOSTILE = 'Ada </script><script>alert(1)</script> <!-- & > \u2028\u2029 "quoted" \\ é';
const router = createAppRouter(activeManifests({ TRAINING_BACKEND: 'mock', IMAGE_BACKEND: 'mock', CAPTION_BACKEND: 'mock' }));
const req = {} as IncomingMessage;

function parseElement(html: string): BootData {
  const m = new RegExp(`^<script type="application/json" id="${BOOT_DATA_ELEMENT_ID}">(.*)</script>\\n$`, 's').exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!) as BootData;
}

function fakeServices(overrides: { list?: () => Promise<unknown> } = {}) {
  const calls: string[] = [];
  const services = {
    system: {
      info: () => (calls.push('info'), { name: 'Isengard API', version: '1.2.3' }),
      health: async () => (calls.push('health'), { status: 'ok', redis: 'ok', workers: 1 }),
    },
    characters: { list: overrides.list ?? (async () => (calls.push('characters'), [{ id: 'char-000000000001', name: HOSTILE }])) },
    jobs: { list: async (opts: unknown) => (calls.push(`jobs ${JSON.stringify(opts)}`), { items: [], next_cursor: null }) },
  } as unknown as Services;
  return { services, calls };
}

const bootData = (services: Services, timeoutMs?: number) =>
  createPageBootData({ router, tokenRequired: false, timeoutMs, context: () => ({ correlationId: 'test', clientId: '127.0.0.1', services }) })!;

describe('scriptSafeJson', () => {
  it('holds no character that could end the script element or the line, and parses back to the same value', () => {
    const value = { name: HOSTILE, nested: [HOSTILE] };
    const json = scriptSafeJson(value);
    expect(json).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(json)).toEqual(value);
    const element = bootDataElement({ queries: { 'characters.list': [value] } });
    expect(element.match(/<\/script/gi)).toHaveLength(1); // its own end tag only
    expect(parseElement(element).queries['characters.list']).toEqual([value]);
  });
});

describe('createPageBootData', () => {
  it('inlines nothing when the server needs a token (a page load carries no credentials)', () => {
    const { services, calls } = fakeServices();
    expect(createPageBootData({ router, tokenRequired: true, context: () => ({ correlationId: 't', clientId: 'c', services }) })).toBeNull();
    expect(calls).toEqual([]);
  });

  it("answers the page's boot queries through the router, with the open session", async () => {
    const { services, calls } = fakeServices();
    const training = parseElement(await bootData(services)(req, '/training'));
    expect(training.session).toEqual({ auth: false, authenticated: true });
    expect(Object.keys(training.queries).sort()).toEqual(['characters.list', 'system.health', 'system.info', 'training.list']);
    expect(training.queries['system.info']).toMatchObject({ version: '1.2.3' });
    expect(training.queries['characters.list']).toEqual([{ id: 'char-000000000001', name: HOSTILE }]);
    expect(calls).toContain('jobs {"limit":20,"type":"training"}');

    const generate = parseElement(await bootData(services)(req, '/generate'));
    expect(Object.keys(generate.queries).sort()).toEqual(['system.health', 'system.info']);
  });

  it('leaves out a query that fails or answers after the time limit; the others still go out', async () => {
    const failing = fakeServices({ list: () => Promise.reject(new Error('redis down')) });
    const withoutList = parseElement(await bootData(failing.services)(req, '/characters'));
    expect(Object.keys(withoutList.queries).sort()).toEqual(['system.health', 'system.info']);

    const slow = fakeServices({ list: () => new Promise((resolve) => setTimeout(() => resolve([]), 2_000)) });
    const started = Date.now();
    const late = parseElement(await bootData(slow.services, 50)(req, '/characters'));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(Object.keys(late.queries).sort()).toEqual(['system.health', 'system.info']);
  });
});
