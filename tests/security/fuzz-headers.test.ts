/**
 * Fuzzing of what the request's headers and the volume's links can say:
 * - Host: any foreign name is a 403 naming ISENGARD_ALLOWED_HOSTS and changes nothing; loopback
 *   names and IP addresses in any spelling pass; nothing is ever a 5xx.
 * - Proxy headers (X-Forwarded-For, X-Real-IP, Forwarded): with TRUST_PROXY off none of them
 *   moves a client to a fresh rate-limit budget; with TRUST_PROXY=1 only the hop the proxy wrote
 *   counts, whatever the client put to its left.
 * - Symlinks: whatever a link in the volume points at (outside files and folders, devices, FIFOs,
 *   loops, dangling, chains), a file route answers 404 or the in-volume file, never the outside
 *   file, never a 5xx, never a hang.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { expectNo5xx, fcParams, MULTIPART, multipart, rawRequest, volumeSandbox } from './support.js';

const LIMIT = 4;
let plain: Stack; // TRUST_PROXY off
let proxied: Stack; // TRUST_PROXY=1
let sandboxes: ReturnType<typeof volumeSandbox>[] = [];
let character: string;
let image: string;
let png: Buffer;
let clientNo = 0;
/** Each property run is a fresh client: its own loopback source address. */
const nextClient = () => {
  clientNo++;
  return `127.${10 + Math.floor(clientNo / 250)}.${clientNo % 250}.${1 + (clientNo % 7)}`;
};

beforeAll(async () => {
  sandboxes = [volumeSandbox('isengard-fuzz-hdr-'), volumeSandbox('isengard-fuzz-hdr-')];
  plain = await startStack({ env: { VOLUME_ROOT: sandboxes[0]!.volume, RATE_LIMIT_PER_MINUTE: String(LIMIT) } });
  proxied = await startStack({ env: { VOLUME_ROOT: sandboxes[1]!.volume, RATE_LIMIT_PER_MINUTE: String(LIMIT), TRUST_PROXY: '1' } });
  png = await pngOf(300, 300);
  character = (await plain.api.services.characters.create({ name: 'Fuzz', trigger_word: 'fuzz_person' })).id;
  const up = await rawRequest(plain.url, { method: 'POST', path: `/api/characters/${character}/images`, headers: { 'content-type': MULTIPART }, body: multipart([{ filename: 'p.png', data: png }]), localAddress: '127.9.9.9' });
  image = (JSON.parse(up.text) as { uploaded: { name: string }[] }).uploaded[0]!.name;
});

afterAll(async () => {
  await plain?.stop();
  await proxied?.stop();
  for (const s of sandboxes) s.remove();
});

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
const foreignName = fc
  .tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom('com', 'example', 'net', 'io', 'attacker', 'local', 'internal', 'localhost-evil', 'nip.io'))
  .map(([labels, tld]) => [...labels, tld].join('.'))
  .filter((name) => !/(^|\.)localhost$/.test(name) && !/^[\d.]+$/.test(name));
const port = fc.option(fc.integer({ min: 1, max: 65535 }).map(String), { nil: undefined });
const spelled = (name: string) =>
  fc.tuple(fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }), fc.boolean()).map(([upper, dot]) =>
    [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + (dot ? '.' : ''),
  );
const withPort = (host: fc.Arbitrary<string>) => fc.tuple(host, port).map(([h, p]) => (p ? `${h}:${p}` : h));
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
const loopbackName = fc.oneof(spelled('localhost'), label.chain((l) => spelled(`${l}.localhost`)));

describe('Host header fuzzing', () => {
  it('any foreign name is refused with the sentence naming ISENGARD_ALLOWED_HOSTS, and creates nothing', async () => {
    const before = (await plain.api.services.characters.list()).length;
    await fc.assert(
      fc.asyncProperty(withPort(foreignName.chain(spelled)), fc.constantFrom('GET /api/info', 'POST /api/trpc/characters.create', 'GET /characters', 'GET /api/trpc/characters.list'), async (host, route) => {
        const [method, p] = route.split(' ') as [string, string];
        const res = await rawRequest(plain.url, {
          method,
          path: p,
          headers: { host, 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify({ name: 'Rebound', trigger_word: 'rebound_person' }) : undefined,
          localAddress: '127.9.9.8',
        });
        expect(res.status, `${host} ${route}: ${res.text.slice(0, 200)}`).toBe(403);
        expect((JSON.parse(res.text) as { error: string }).error).toContain('ISENGARD_ALLOWED_HOSTS=');
      }),
      fcParams(120),
    );
    expect((await plain.api.services.characters.list()).length).toBe(before);
  });

  it('loopback names and IP literals pass in any spelling; odd Host values are never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(withPort(fc.oneof(loopbackName, ipv4, ipv6)), async (host) => {
        const res = await rawRequest(plain.url, { path: '/api/info', headers: { host }, localAddress: '127.9.9.7' });
        expect(res.status, host).toBe(200);
      }),
      fcParams(120),
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme-ascii', maxLength: 300 }), async (host) => {
        let res;
        try {
          res = await rawRequest(plain.url, { path: '/api/info', headers: { host }, localAddress: '127.9.9.6' });
        } catch {
          return; // Node's own parser refused the header before any handler ran
        }
        expectNo5xx(res.status, `Host ${JSON.stringify(host)}`, res.text);
      }),
      fcParams(150),
    );
  });
});

const junkAddress = fc.oneof(ipv4, fc.ipV6(), fc.constantFrom('unknown', '', ' ', '::ffff:10.0.0.1', '127.0.0.1', '0.0.0.0', '[::1]:443', '203.0.113.9:1234'), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }));
const proxyHeaders = fc.record(
  {
    'x-forwarded-for': fc.array(junkAddress, { maxLength: 12 }).map((a) => a.join(', ').replace(/[\r\n]/g, '')),
    'x-real-ip': junkAddress.map((a) => a.replace(/[\r\n]/g, '')),
    forwarded: fc.array(junkAddress, { maxLength: 4 }).map((a) => a.map((x) => `for="${x.replace(/["\r\n]/g, '')}"`).join(', ')),
  },
  { requiredKeys: [] },
);

const create = (stack: Stack, from: string, headers: Record<string, string>) =>
  rawRequest(stack.url, { method: 'POST', path: '/api/trpc/characters.create', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'Proxy', trigger_word: 'proxy_person' }), localAddress: from });

describe('proxy header fuzzing', () => {
  it('TRUST_PROXY off: no mix of proxy headers gives a client a fresh budget, and none is a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(proxyHeaders, { minLength: LIMIT + 2, maxLength: LIMIT + 2 }), async (headerSets) => {
        const from = nextClient();
        const statuses: number[] = [];
        for (const headers of headerSets) {
          const res = await create(plain, from, headers).catch(() => null);
          if (res === null) continue; // a header Node itself refused: no request reached us
          expectNo5xx(res.status, JSON.stringify(headers), res.text);
          statuses.push(res.status);
        }
        expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(LIMIT);
      }),
      fcParams(25),
    );
  });

  it('TRUST_PROXY=1: the client is the hop the proxy appended; whatever the client wrote left of it is ignored', async () => {
    await fc.assert(
      fc.asyncProperty(ipv4, fc.array(fc.array(junkAddress.map((a) => a.replace(/[\r\n,]/g, '')), { maxLength: 6 }), { minLength: LIMIT + 2, maxLength: LIMIT + 2 }), async (client, forged) => {
        const statuses: number[] = [];
        for (const left of forged) {
          const xff = [...left, `198.18.${clientNo % 250}.${1 + (clientNo % 250)}`, client].join(', ');
          const res = await create(proxied, '127.0.0.1', { 'x-forwarded-for': xff });
          expectNo5xx(res.status, xff, res.text);
          statuses.push(res.status);
        }
        clientNo++;
        // The same client every time (its real address is the last hop): the budget runs out.
        expect(statuses.slice(LIMIT)).toEqual([429, 429]);
      }),
      fcParams(15),
    );
  });
});

describe('symlink fuzzing', () => {
  const volume = () => sandboxes[0]!.volume;
  const imagesDir = () => path.join(volume(), 'characters', character, 'images');

  /** Link targets: what an attacker with write access to the shared volume could place. */
  function targets(): fc.Arbitrary<{ target: string; inside: boolean }> {
    const s = sandboxes[0]!;
    const fifoOutside = path.join(s.parent, 'fifo-outside');
    const fifoInside = path.join(volume(), 'fifo-inside');
    for (const f of [fifoOutside, fifoInside]) if (!fs.existsSync(f)) execFileSync('mkfifo', [f]);
    const outside = [
      path.join(s.sentinel, 'secret.txt'),
      s.sentinel,
      '/etc/passwd',
      '/proc/self/environ',
      '/dev/zero',
      '/dev/urandom',
      fifoOutside,
      fifoInside, // inside, but not a regular file
      '/nonexistent/dangling',
      `../../../../sentinel/secret.txt`,
      `../../../../../sentinel/secret.txt`,
      `${'../'.repeat(20)}etc/passwd`,
    ].map((target) => ({ target, inside: false }));
    return fc.oneof(
      fc.constantFrom(...outside),
      fc.constant({ target: path.join(imagesDir(), image), inside: true }),
      fc.constant({ target: image, inside: true }), // relative, same folder
      fc.array(fc.constantFrom('..', '.', 'images', 'characters', character, 'x'), { minLength: 1, maxLength: 8 }).map((p) => ({ target: p.join('/'), inside: false })),
    );
  }

  it('a link at an image, output or log name never serves anything outside the volume, and never hangs', async () => {
    const secret = sandboxes[0]!.secret;
    const job = 'generation-00000000f022';
    fs.mkdirSync(path.join(volume(), 'outputs', job), { recursive: true });
    fs.mkdirSync(path.join(volume(), 'logs', 'jobs'), { recursive: true });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(targets(), fc.constantFrom('image', 'output', 'log', 'chain'), async ({ target, inside }, where) => {
        n++;
        const name = `img-${n.toString(16).padStart(12, '0')}.png`;
        let link: string;
        let route: string;
        if (where === 'output') {
          link = path.join(volume(), 'outputs', job, `f${n}.png`);
          route = `/api/jobs/${job}/files/f${n}.png`;
        } else if (where === 'log') {
          link = path.join(volume(), 'logs', 'jobs', `${job}.jsonl`);
          route = `/api/jobs/${job}/logs`;
        } else {
          link = path.join(imagesDir(), name);
          route = `/api/characters/${character}/images/${name}`;
        }
        fs.rmSync(link, { force: true });
        if (where === 'chain') {
          // inside link → inside link → target
          const hop = path.join(imagesDir(), `hop-${n}`);
          fs.symlinkSync(target, hop);
          fs.symlinkSync(`hop-${n}`, link);
        } else {
          fs.symlinkSync(target, link);
        }
        const res = await rawRequest(plain.url, { path: route, timeoutMs: 5000, maxBody: 64 * 1024, localAddress: '127.9.9.5' });
        const what = `${where} → ${target}`;
        expectNo5xx(res.status, what, res.text);
        expect(res.text.includes(secret), what).toBe(false);
        expect(res.text, what).not.toMatch(/root:x:0:0/);
        // A link to the stored image from the images folder serves it; anything else is 404, or
        // (a link elsewhere that happens to reach the image inside the volume) that image.
        if (inside && (where === 'image' || where === 'chain')) expect(res.status, what).toBe(200);
        if (res.status === 200) expect(res.body.equals(fs.readFileSync(path.join(imagesDir(), image))), what).toBe(true);
        else expect(res.status, what).toBe(404);
      }),
      fcParams(120),
    );
  });
});
