/**
 * Baseline server for the logs-route benchmark: a bare node:http server that pipes
 * fs.createReadStream(BENCH_FILE) into every response. Run as its own process by the benchmark.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.env.BENCH_FILE;
if (!file) throw new Error('BENCH_FILE is not set');

const server = http.createServer((_req, res) => {
  const { size } = fs.statSync(file);
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'content-length': String(size) });
  fs.createReadStream(file).pipe(res);
});
server.listen(0, '127.0.0.1', () => {
  console.log(`raw file server listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
