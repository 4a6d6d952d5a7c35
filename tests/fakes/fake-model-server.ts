/**
 * A file server shaped like Hugging Face's `resolve` URLs for the model downloader: serves byte
 * ranges (206 + Content-Range, 416 past the end), 404 for unknown paths, 401 for gated paths
 * without a Bearer token, and knobs to stall a response midway or ignore Range.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  /** Answers 401 unless `Authorization: Bearer <token>` matches. */
  token?: string;
}

export interface RecordedRequest {
  path: string;
  range?: string;
  authorization?: string;
}

export interface FakeModelServer {
  url: string;
  files: Map<string, ServedFile>;
  requests: RecordedRequest[];
  /** The next response of this path sends this many body bytes, then stalls with the connection open (once). */
  stallAfter: Map<string, number>;
  /** Answer 200 with the whole file even when a Range is asked for. */
  ignoreRange: boolean;
  close(): Promise<void>;
}

export async function startFakeModelServer(): Promise<FakeModelServer> {
  const fake: FakeModelServer = { url: '', files: new Map(), requests: [], stallAfter: new Map(), ignoreRange: false, close };
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    fake.requests.push({ path, range: req.headers.range, authorization: req.headers.authorization });
    const file = fake.files.get(path);
    if (!file) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
    if (file.token && req.headers.authorization !== `Bearer ${file.token}`) {
      return void res.writeHead(401, { 'content-type': 'text/plain' }).end('Access to model is restricted. You must have access to it and be authenticated to access it.');
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && !fake.ignoreRange) {
      start = Number(m[1]);
      if (start >= file.body.length) {
        return void res.writeHead(416, { 'content-range': `bytes */${file.body.length}` }).end();
      }
    }
    const slice = file.body.subarray(start);
    const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream', 'content-length': slice.length, 'accept-ranges': 'bytes' };
    if (start > 0) headers['content-range'] = `bytes ${start}-${file.body.length - 1}/${file.body.length}`;
    res.writeHead(start > 0 ? 206 : 200, headers);
    const stall = fake.stallAfter.get(path);
    if (stall !== undefined) {
      // A CDN connection that stops delivering: everything sent is readable, then nothing comes.
      fake.stallAfter.delete(path);
      res.write(slice.subarray(0, stall));
      return;
    }
    res.end(slice);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  async function close(): Promise<void> {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return fake;
}
