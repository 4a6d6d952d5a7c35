/**
 * Baseline server for enqueue_http_throughput: a bare node:http server that reads the JSON body,
 * builds a job record and calls the job store's create plus bee-queue's createJob().save() per
 * request, on the benchmark's Redis. No routing, validation, auth, rate limit, log file or
 * correlation context: what any enqueue over HTTP must at least do. Run as its own process.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import BeeQueue from 'bee-queue';
import type { JobRecord } from '../../src/shared/jobs.js';
import { JobStore } from '../../src/shared/node/job-store.js';
import { beeQueueRedisOptions, createRedis } from '../../src/shared/node/redis.js';

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error('REDIS_URL is not set');
const redis = createRedis(redisUrl);
const store = new JobStore(redis);
const queue = new BeeQueue('bench-raw-http', {
  prefix: 'bench:bq',
  redis: beeQueueRedisOptions(redisUrl) as never,
  isWorker: false,
  getEvents: false,
  sendEvents: false,
  activateDelayedJobs: false,
  removeOnSuccess: true,
  removeOnFailure: true,
});

async function enqueue(body: { config?: Record<string, unknown> }): Promise<JobRecord> {
  const id = `generation-${randomBytes(6).toString('hex')}`;
  const record: JobRecord = {
    id,
    type: 'generation',
    status: 'queued',
    correlation_id: `raw-${id}`,
    config: body.config ?? {},
    created_at: new Date().toISOString(),
    progress: 0,
    outputs: [],
    attempts: 0,
    rev: 0,
  };
  await store.create(record);
  await queue.createJob({ id, correlation_id: record.correlation_id }).setId(id).save();
  return record;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    enqueue(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { config?: Record<string, unknown> })
      .then((record) => {
        const text = JSON.stringify({ result: { data: record } });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(err) }));
      });
  });
});
await queue.ready();
server.listen(0, '127.0.0.1', () => {
  console.log(`raw enqueue server listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
