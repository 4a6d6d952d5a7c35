/**
 * Property-based fuzzing of the plain HTTP routes with paths sent byte for
 * byte: traversal plain and percent-encoded, NUL, absolute paths, unicode, overlong ids, odd
 * methods, Range and correlation headers. Invariants: never 5xx; each route answers only its
 * documented sentences; no body ever carries a file from outside the volume; nothing is written
 * outside VOLUME_ROOT; the server stays healthy.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../helpers/stack.js';
import { characterWithImages } from '../helpers/fixtures.js';
import { LOG_ID_PATTERN, OUTPUT_NAME_PATTERN } from '../../src/shared/jobs.js';
import { pathyStrings, serialise } from './arbitraries.js';
import { eventually, expectNo5xx, fcParams, MARK, MULTIPART, multipart, NOT_JSON, openFilesUnder, PARAM_SENTENCE, rawRequest, volumeSandbox, type RawResponse } from './support.js';

let stack: Stack;
let sandbox: ReturnType<typeof volumeSandbox>;
let real: { character: string; image: string; job: string; output: string };
/** Bytes that must never appear in a response: files outside the volume. */
let forbidden: string[];

beforeAll(async () => {
  sandbox = volumeSandbox('isengard-sec-routes-');
  stack = await startStack({ env: { VOLUME_ROOT: sandbox.volume, RATE_LIMIT_PER_MINUTE: '100000' } });
  const character = await characterWithImages(stack, 1, 'route_person');
  const image = (await stack.call<{ images: { name: string }[] }>('characters.get', { id: character })).body.images[0]!.name;
  const job = (await stack.call<{ id: string }>('generation.start', { config: { prompt: 'routes' } })).body.id;
  fs.mkdirSync(path.join(sandbox.volume, 'outputs', job), { recursive: true });
  fs.writeFileSync(path.join(sandbox.volume, 'outputs', job, 'out_0.png'), 'fake png bytes');
  real = { character, image, job, output: 'out_0.png' };
  const pkg = fs.readFileSync(path.join(process.cwd(), 'package.json'), 'utf8');
  forbidden = [sandbox.secret, 'root:x:0:', pkg.slice(0, 60)];
});

afterAll(async () => {
  await stack?.stop();
  sandbox?.remove();
});

const SAFE = /[A-Za-z0-9._~!$&'()*+,;=:@-]/;
/** encodeURIComponent that survives lone surrogates (they go out as U+FFFD, like any HTTP client would send them). */
const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9_.!~*'()-]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
/** Percent-encodes what an HTTP client must (control chars, space, `?`, `#`, non-ASCII) and nothing else: `/`, `.` and `%` stay raw. */
const rawish = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => (b < 0x80 && (SAFE.test(String.fromCharCode(b)) || b === 0x2f || b === 0x25) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

function segments(): fc.Arbitrary<string> {
  const sentinelFromVolume = () => path.relative(sandbox.volume, sandbox.sentinel);
  const words = () => [
    ...pathyStrings(sentinelFromVolume()),
    real.character, real.image, real.job, real.output, 'char-000000000000', 'training-000000000000', 'img-000000000000.png',
    'a'.repeat(201), 'a'.repeat(202), 'a'.repeat(300), 'a'.repeat(5000), '.hidden', '-dash', 'x..y', 'job.jsonl', '%', '%ZZ', '%E0%A4%A', '%C0%AE%C0%AE', '%c0%af',
    sandbox.sentinel, path.join(sandbox.sentinel, 'secret.txt'),
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...words()).map(pct) },
    { weight: 3, arbitrary: fc.constantFrom(...words()).map(rawish) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }).map(pct) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(rawish) },
  );
}

const methods = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH');
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const rangeHeader = fc.option(
  fc.oneof(fc.constantFrom('bytes=0-0', 'bytes=-1', 'bytes=0-'), fc.constantFrom('bytes=0-0', 'bytes=-1', 'bytes=0-', 'bytes=5-2', 'bytes=0-1,2-3', 'bytes=99999999999999999999-', 'bytes=-99999999999999999999', 'bytes=-0', 'bytes=abc', 'items=0-1'), printable),
  { nil: undefined },
);

let clientCache: Buffer[] | null = null;
/** Every file of the built SPA (empty when it is not built: then every SPA path is a 404). */
function clientFiles(): Buffer[] {
  if (clientCache) return clientCache;
  const root = path.join(process.cwd(), 'dist', 'client');
  clientCache = fs.existsSync(root)
    ? (fs.readdirSync(root, { recursive: true, withFileTypes: true }) as fs.Dirent[]).filter((d) => d.isFile()).map((d) => fs.readFileSync(path.join(d.parentPath, d.name)))
    : [];
  return clientCache;
}

/** Statuses each property produced on its own route: the checks above must not pass vacuously. */
const seen = new Map<string, Set<number>>();
const note = (bucket: string, status: number) => seen.set(bucket, (seen.get(bucket) ?? new Set()).add(status));
const expectSeen = (bucket: string, statuses: number[]) => expect([...(seen.get(bucket) ?? [])], bucket).toEqual(expect.arrayContaining(statuses));

function errorOf(res: RawResponse): string | undefined {
  if (!res.text) return undefined;
  try {
    return (JSON.parse(res.text) as { error?: string }).error;
  } catch {
    return undefined;
  }
}

function common(res: RawResponse, what: string): void {
  expectNo5xx(res.status, what, res.text);
  for (const f of forbidden) expect(res.text.includes(f), `${what}: response carries a file from outside the volume`).toBe(false);
  expect(res.headers['x-correlation-id'], what).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
}

/** The route segments the server will see: dot segments resolved as the URL parser does, or null when the path left the route. */
function routeMatch(requestPath: string, route: RegExp): string[] | null {
  const m = route.exec(new URL(requestPath, 'http://h').pathname);
  return m ? m.slice(1).map(decoded) : null;
}

const decoded = (seg: string) => {
  try {
    return decodeURIComponent(seg);
  } catch {
    return '%invalid%';
  }
};

describe('plain routes under hostile paths and headers', () => {
  it('GET|HEAD /api/jobs/:id/logs: 400 "Invalid job ID format" exactly when the id is malformed, else the log or 404', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: segments() }, { weight: 1, arbitrary: fc.constantFrom(real.job, 'training-000000000000') }), fc.constantFrom('GET', 'HEAD'), rangeHeader, fc.constantFrom('', '?follow=0', '?download=1', '?x=%00'), async (seg, method, range, query) => {
        const res = await rawRequest(stack.url, { method, path: `/api/jobs/${seg}/logs${query}`, headers: range ? { range } : {} });
        const what = `${method} logs ${seg.slice(0, 120)} range=${range}`;
        common(res, what);
        const m = routeMatch(`/api/jobs/${seg}/logs`, /^\/api\/jobs\/([^/]*)\/logs$/);
        if (!m) return; // `..` took the path elsewhere (the SPA or another route): only the common invariants apply
        const id = m[0]!;
        note('logs', res.status);
        if (method === 'HEAD') {
          expect([200, 206, 400, 404, 416], what).toContain(res.status);
          return;
        }
        if (res.status === 400) {
          expect(errorOf(res), what).toBe('Invalid job ID format');
          expect(LOG_ID_PATTERN.test(id), `${what}: a well-formed id was refused`).toBe(false);
        } else if (res.status === 404) {
          expect(errorOf(res), what).toBe('Log file not found');
        } else {
          expect([200, 206, 416], what).toContain(res.status);
          expect(id, what).toBe(real.job);
          if (res.status !== 416) expect(res.headers['content-type'], what).toBe('application/x-ndjson');
        }
      }),
      fcParams(),
    );
    expectSeen('logs', [200, 206, 400, 404]);
  });

  it('GET /api/jobs/:id/files/:name: only "Invalid job ID format", "Invalid file name", "File not found", or the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(segments(), fc.constant(real.job)), fc.oneof(segments(), fc.constantFrom(real.output, 'missing.png')), rangeHeader, async (jobSeg, nameSeg, range) => {
        const res = await rawRequest(stack.url, { path: `/api/jobs/${jobSeg}/files/${nameSeg}`, headers: range ? { range } : {} });
        const what = `files ${jobSeg.slice(0, 80)} / ${nameSeg.slice(0, 80)}`;
        common(res, what);
        const m = routeMatch(`/api/jobs/${jobSeg}/files/${nameSeg}`, /^\/api\/jobs\/([^/]*)\/files\/([^/]*)$/);
        if (!m) return;
        const [job, name] = m as [string, string];
        note('files', res.status);
        if (res.status === 400) {
          expect(['Invalid job ID format', 'Invalid file name'], what).toContain(errorOf(res));
          const ok = LOG_ID_PATTERN.test(job) && OUTPUT_NAME_PATTERN.test(name) && !name.includes('..');
          expect(ok, `${what}: well-formed names were refused`).toBe(false);
        } else if (res.status === 404) {
          expect(errorOf(res), what).toBe('File not found');
        } else {
          expect([200, 206, 416], what).toContain(res.status);
          expect([job, name], what).toEqual([real.job, real.output]);
          expect(res.headers['x-content-type-options'], what).toBe('nosniff');
        }
      }),
      fcParams(),
    );
    expectSeen('files', [200, 400, 404]);
  });

  it('GET /api/characters/:id/images/:name: only the documented errors, or the image', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(segments(), fc.constantFrom(real.character, 'char-000000000000')), fc.oneof(segments(), fc.constantFrom(real.image, 'img-000000000000.png')), async (idSeg, nameSeg) => {
        const res = await rawRequest(stack.url, { path: `/api/characters/${idSeg}/images/${nameSeg}` });
        const what = `image ${idSeg.slice(0, 80)} / ${nameSeg.slice(0, 80)}`;
        common(res, what);
        const m = routeMatch(`/api/characters/${idSeg}/images/${nameSeg}`, /^\/api\/characters\/([^/]*)\/images\/([^/]*)$/);
        if (!m) return;
        note('images', res.status);
        if (res.status === 400) {
          expect(['Invalid character ID format', 'Invalid image name'], what).toContain(errorOf(res));
        } else if (res.status === 404) {
          expect(errorOf(res), what).toBe('File not found');
        } else {
          expect(res.status, what).toBe(200);
          expect(m, what).toEqual([real.character, real.image]);
          expect(res.headers['content-type'], what).toMatch(/^image\//);
        }
      }),
      fcParams(),
    );
    expectSeen('images', [200, 400, 404]);
  });

  it('POST /api/characters/:id/images with hostile ids, content types and bodies: 400 naming the parameter, 404, or a per-file verdict', async () => {
    const body = fc.oneof(
      { weight: 3, arbitrary: fc.constant(multipart([{ filename: 'x.png', data: 'not an image' }])) },
      fc.constant(multipart([])),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
    );
    const contentType = fc.oneof({ weight: 1, arbitrary: fc.constant(MULTIPART) }, fc.constantFrom('multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="unterminated', 'application/json', 'text/plain', 'image/png', ''));
    await fc.assert(
      fc.asyncProperty(fc.oneof(segments(), fc.constantFrom(real.character, 'char-000000000000')), contentType, body, async (idSeg, ct, data) => {
        const res = await rawRequest(stack.url, {
          method: 'POST',
          path: `/api/characters/${idSeg}/images`,
          headers: { ...(ct ? { 'content-type': ct } : {}), 'content-length': String(data.length) },
          body: data,
        });
        const what = `upload ${idSeg.slice(0, 80)} ${ct} ${data.length}B`;
        common(res, what);
        if (!routeMatch(`/api/characters/${idSeg}/images`, /^\/api\/characters\/([^/]*)\/images$/)) return;
        note('upload', res.status);
        const json = JSON.parse(res.text) as { error?: string; uploaded?: unknown[]; rejected?: { filename: string; reason: string }[] };
        if (res.status === 400) expect(json.error, what).toMatch(PARAM_SENTENCE);
        else if (res.status === 404) expect(json.error, what).toMatch(/^Character 'char-[0-9a-f]{12}' not found$/);
        else {
          expect(res.status, what).toBe(200);
          for (const r of json.rejected ?? []) expect(r.reason.length, what).toBeGreaterThan(0);
        }
      }),
      fcParams(),
    );
    expectSeen('upload', [200, 400, 404]);
  });

  it('POST /api/session (no token configured): 200, or 400 "not valid JSON", or 413', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => serialise(v)!),
      fc.string({ maxLength: 100 }),
      fc.constantFrom('', '{', '{"token":', '[[[[', '{"token":1e999}', 'NaN', '{"token":"' + 'a'.repeat(5000) + '"}', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain', ''), async (text, ct) => {
        const res = await rawRequest(stack.url, { method: 'POST', path: '/api/session', headers: ct ? { 'content-type': ct } : {}, body: text });
        const what = `session ${text.slice(0, 100)}`;
        common(res, what);
        if (res.status === 400) expect(errorOf(res), what).toMatch(NOT_JSON);
        else if (res.status !== 413) {
          expect(res.status, what).toBe(200);
          expect(JSON.parse(res.text), what).toEqual({ ok: true, auth: false });
          expect(res.headers['set-cookie'], what).toBeUndefined();
        }
      }),
      fcParams(),
    );
  });

  it('unknown /api paths and odd methods on known ones: a JSON 4xx, never the SPA', async () => {
    await fc.assert(
      fc.asyncProperty(methods, fc.array(segments(), { minLength: 1, maxLength: 3 }), fc.option(printable, { nil: undefined }), async (method, segs, corr) => {
        const p = `/api/${segs.join('/')}`;
        const res = await rawRequest(stack.url, { method, path: p, headers: corr === undefined ? {} : { 'x-correlation-id': corr } });
        const what = `${method} ${p.slice(0, 160)}`;
        common(res, what);
        if (corr !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(corr)) expect(res.headers['x-correlation-id'], what).toBe(corr);
        if (method === 'HEAD') return;
        if (res.status >= 400) expect(res.headers['content-type'], what).toMatch(/json/);
        // `/api/a/../../x` is `/x` once dot segments are resolved: only a path still under /api/ must stay out of the SPA.
        if (new URL(p, 'http://h').pathname.startsWith('/api/')) expect(res.text.startsWith('<!'), `${what}: the SPA answered an /api path`).toBe(false);
      }),
      fcParams(),
    );
  });

  it('SPA paths: index.html or a built asset, never a file outside dist/client', async () => {
    await fc.assert(
      fc.asyncProperty(methods, fc.array(segments(), { minLength: 1, maxLength: 4 }), async (method, segs) => {
        const p = `/${segs.join('/')}`;
        if (p.startsWith('/api/')) return;
        const res = await rawRequest(stack.url, { method, path: p });
        const what = `${method} ${p.slice(0, 160)}`;
        common(res, what);
        if (method !== 'GET' && method !== 'HEAD') {
          expect(res.status, what).toBe(405);
          return;
        }
        expect([200, 206, 400, 404, 416], what).toContain(res.status);
        if (method === 'HEAD') return;
        if (res.status === 400) expect(errorOf(res), what).toBe('Invalid path');
        if (res.status === 200) {
          // index.html goes out naming the opened page's built chunks (http/page-preloads.ts) and with
          // its first data (http/page-boot-data.ts): those additions only.
          const body = /text\/html/.test(String(res.headers['content-type']))
            ? Buffer.from(
                res.body
                  .toString('utf8')
                  .replace(/ {4}<link rel="modulepreload" crossorigin href="\/assets\/[\w.-]+\.js">\n/g, '')
                  .replace(/<script type="application\/json" id="[\w-]+">[^<]*<\/script>\n/, ''),
              )
            : res.body;
          const served = clientFiles().some((f) => f.subarray(0, body.length).equals(body) && (f.length === body.length || body.length >= 1024 * 1024));
          expect(served, `${what}: 200 with bytes that are not a file of dist/client`).toBe(true);
        }
      }),
      fcParams(),
    );
  });

  it('/api/info and /api/health ignore query strings and odd headers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/api/info', '/api/health'), fc.string({ maxLength: 40 }).map(pct), printable, rangeHeader, async (p, q, accept, range) => {
        const res = await rawRequest(stack.url, { path: `${p}?${q}`, headers: { accept, ...(range ? { range } : {}) } });
        common(res, `${p}?${q}`);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.text)).toHaveProperty(p === '/api/info' ? 'name' : 'status');
      }),
      fcParams(),
    );
  });

  it('ids too long to be a file name are "not found", not an internal error', async () => {
    const long = 'a'.repeat(300);
    const logs = await rawRequest(stack.url, { path: `/api/jobs/${long}/logs` });
    expect([logs.status, errorOf(logs)]).toEqual([404, 'Log file not found']);
    const files = await rawRequest(stack.url, { path: `/api/jobs/${long}/files/x.png` });
    expect([files.status, errorOf(files)]).toEqual([404, 'File not found']);
  });

  it('log readers that stop reading and hang up release the file (plain and ?follow=1)', async () => {
    // Big enough to outgrow the socket buffers, so the server is left waiting on a reader that is gone.
    const job = (await stack.call<{ id: string }>('generation.start', { config: { prompt: 'slow reader' } })).body.id;
    const line = JSON.stringify({ ts: new Date().toISOString(), level: 'INFO', msg: 'x'.repeat(400) }) + '\n';
    const fd = fs.openSync(stack.api.infra.paths.jobLog(job), 'a');
    const block = Buffer.from(line.repeat(2500));
    for (let written = 0; written < 32 * 1024 * 1024; written += block.length) fs.writeSync(fd, block);
    fs.closeSync(fd);
    const port = Number(new URL(stack.url).port);
    for (const query of ['?follow=1', '']) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: `/api/jobs/${job}/logs${query}` }, (res) => {
          res.once('data', () => {
            res.pause();
            setTimeout(() => {
              req.destroy();
              resolve();
            }, 200);
          });
        });
        req.on('error', reject);
      });
    }
    await eventually(() => expect(openFilesUnder(sandbox.volume)).toEqual([]), 5000);
  });

  it('nothing was written outside VOLUME_ROOT, no stray file carries the marker, and the server is healthy', async () => {
    sandbox.assertNothingOutside();
    expect(fs.readdirSync(stack.volume)).toEqual([]);
    expect(fs.readdirSync(sandbox.volume).some((e) => e.includes(MARK))).toBe(false);
    const health = await fetch(`${stack.url}/api/health`);
    expect(health.status).toBe(200);
  });
});
