import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestRedis } from '../../../tests/helpers/redis-server.js';
import type { JobRecord } from '../../shared/jobs.js';
import { JobEvents } from '../../shared/node/job-events.js';
import { JobStore } from '../../shared/node/job-store.js';
import { VolumePaths } from '../../shared/node/volume.js';
import { JobLogsService, type LogChunk } from './job-logs.service.js';

const testRedis = useTestRedis();
let volume: string;
let store: JobStore;
let events: JobEvents;
let service: JobLogsService;
let paths: VolumePaths;

beforeAll(() => {
  volume = fs.mkdtempSync(path.join(os.tmpdir(), 'isengard-job-logs-'));
  paths = new VolumePaths(volume);
  store = new JobStore(testRedis.redis);
  events = new JobEvents(new Redis(testRedis.server.url), pino({ level: 'silent' }));
  service = new JobLogsService({ paths, store, events });
});
afterAll(async () => {
  await events.close();
  await store.close();
  fs.rmSync(volume, { recursive: true, force: true });
});

let seq = 0;
async function newJob(lines: string[]): Promise<{ id: string; file: string }> {
  const id = `generation-${(++seq).toString(16).padStart(12, '0')}`;
  const record: JobRecord = {
    id, type: 'generation', status: 'running', correlation_id: 'c', config: {}, created_at: new Date().toISOString(),
    progress: 0, outputs: [], attempts: 1, rev: 0,
  };
  await store.create(record);
  const file = paths.jobLog(id);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join(''));
  return { id, file };
}

const finish = (id: string) => store.update(id, (r) => ({ ...r, status: 'completed', finished_at: new Date().toISOString() }));

async function collect(stream: AsyncGenerator<LogChunk>, until?: (text: string) => boolean): Promise<{ text: string; offsets: number[] }> {
  let text = '';
  const offsets: number[] = [];
  for await (const chunk of stream) {
    text += chunk.text.toString('utf8');
    offsets.push(chunk.offset);
    if (until?.(text)) break;
  }
  return { text, offsets };
}

describe('JobLogsService', () => {
  it('refuses malformed ids and missing logs with the routes\' exact sentences', async () => {
    await expect(service.open('../etc/passwd')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'Invalid job ID format' });
    await expect(service.open('training-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Log file not found' });
    await expect(service.open('a'.repeat(300))).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Log file not found' });
  });

  it('follow sends whole lines with the offset after them, wakes on appends, and ends once the job is terminal', async () => {
    const { id, file } = await newJob(['{"a":1}\n', '{"a":2}\n', '{"a":3']);
    const abort = new AbortController();
    const reading = collect(service.follow(id, { signal: abort.signal }));
    // A torn line is held back until its newline arrives; appends are picked up without polling the store.
    await new Promise((r) => setTimeout(r, 100));
    fs.appendFileSync(file, '}\n{"a":4}\n');
    await new Promise((r) => setTimeout(r, 100));
    await finish(id);
    const { text, offsets } = await reading;
    expect(text).toBe('{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n');
    const whole = fs.readFileSync(file, 'utf8');
    for (const offset of offsets) expect(whole[offset - 1]).toBe('\n');
    expect(offsets.at(-1)).toBe(Buffer.byteLength(whole));
  });

  it('resumes from a handed-out offset without repeating or skipping a line', async () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `{"i":${i},"pad":"${'x'.repeat(40)}"}\n`);
    const { id } = await newJob(lines);
    await finish(id);
    const first = service.follow(id);
    const chunk = (await first.next()).value as LogChunk;
    await first.return(undefined);
    expect(chunk.offset).toBeLessThan(Buffer.byteLength(lines.join(''))); // more than one chunk
    const rest = await collect(service.follow(id, { from: chunk.offset }));
    expect(chunk.text.toString() + rest.text).toBe(lines.join(''));
  });

  it('a log whose job record is gone is read to its end and closed', async () => {
    const { id } = await newJob(['{"x":1}\n', 'tail without newline']);
    await testRedis.redis.del(`isengard:job:${id}`);
    const { text } = await collect(service.follow(id));
    expect(text).toBe('{"x":1}\ntail without newline');
  });

  it('stops when the reader aborts, while the job still runs', async () => {
    const { id } = await newJob(['{"x":1}\n']);
    const abort = new AbortController();
    const stream = service.follow(id, { signal: abort.signal });
    expect((await stream.next()).value?.text.toString()).toBe('{"x":1}\n');
    const waiting = stream.next(); // now asleep until something changes
    abort.abort();
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
  });
});
