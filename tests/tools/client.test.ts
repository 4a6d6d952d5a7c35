/** The typed client against a real stack: API in-process, Redis, one worker process. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { createIsengardClient, downloadJobLogs, followJobLogs, IsengardHttpError, streamJobLogs, uploadImages, waitForJob, type JobLogLine } from '../../src/tools/client.js';
import type { JobLogRecord } from '../../src/shared/job-log.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';
import { writePng } from './cli-harness.js';

let stack: Stack;
const dir = tempDir('isengard-client-');
beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => stack?.stop());

describe('createIsengardClient + waitForJob + downloadJobLogs', () => {
  it('starts a generation, streams progress to completion, and downloads its log', async () => {
    const client = createIsengardClient({ url: stack.url, correlationId: 'tool-client-test-1' });
    const job = await client.generation.start.mutate({ config: { prompt: 'a lighthouse at dusk', steps: 40, width: 512, height: 512 }, count: 2 });
    expect(job).toMatchObject({ type: 'generation', status: 'queued', correlation_id: 'tool-client-test-1' });

    const updates: JobRecord[] = [];
    const final = await waitForJob(client, job.id, { onUpdate: (r) => updates.push(r) });
    expect(final.status).toBe('completed');
    expect(final.outputs.filter((o) => o.kind === 'image')).toHaveLength(2);
    expect(updates.at(-1)).toEqual(final);
    const midway = updates.filter((r) => r.status === 'running' && r.progress > 0 && r.progress < 1);
    expect(midway.length).toBeGreaterThan(0);
    expect(midway.some((r) => r.current_step !== undefined && r.total_steps === 40)).toBe(true);
    // Progress never goes backwards along the stream.
    const progress = updates.map((r) => r.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));

    const file = path.join(dir, 'nested', `${job.id}.jsonl`);
    const saved = await downloadJobLogs({ url: stack.url }, job.id, file);
    const text = await fs.readFile(file, 'utf8');
    expect(saved.bytes).toBe(Buffer.byteLength(text));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as JobLogRecord);
    const events = lines.map((l) => l.event);
    expect(events[0]).toBe('job.queued');
    expect(events).toContain('job.start');
    expect(events.at(-1)).toBe('job.complete');
    expect(new Set(lines.map((l) => l.job_id))).toEqual(new Set([job.id]));
    expect(lines.every((l) => l.correlation_id === 'tool-client-test-1')).toBe(true);

    const streamed: JobLogLine[] = [];
    for await (const line of streamJobLogs({ url: stack.url }, job.id)) streamed.push(line);
    expect(streamed).toEqual(lines);
  });

  it("followJobLogs streams a running job's log over jobs.onLog to its last line, each line once", async () => {
    const client = createIsengardClient({ url: stack.url });
    const job = await client.generation.start.mutate({ config: { prompt: 'a followed log', steps: 40, width: 512, height: 512 } });
    const followed: JobLogLine[] = [];
    for await (const line of followJobLogs(client, job.id)) followed.push(line);
    const downloaded: JobLogLine[] = [];
    for await (const line of streamJobLogs({ url: stack.url }, job.id)) downloaded.push(line);
    expect(followed).toEqual(downloaded);
    expect((followed.at(-1) as JobLogRecord).event).toBe('job.complete');
  });

  it('followJobLogs ends with NOT_FOUND for an unknown job instead of retrying forever', async () => {
    const client = createIsengardClient({ url: stack.url });
    const lines = followJobLogs(client, 'generation-000000000000');
    await expect(lines.next()).rejects.toMatchObject({ data: { code: 'NOT_FOUND' } });
  });

  it('gives each request its own tool-<uuid> correlation id when none is set', async () => {
    const client = createIsengardClient({ url: stack.url });
    const a = await client.generation.start.mutate({ config: { prompt: 'one', steps: 1, width: 512, height: 512 } });
    const b = await client.generation.start.mutate({ config: { prompt: 'two', steps: 1, width: 512, height: 512 } });
    expect(a.correlation_id).toMatch(/^tool-[0-9a-f-]{36}$/);
    expect(b.correlation_id).toMatch(/^tool-[0-9a-f-]{36}$/);
    expect(a.correlation_id).not.toBe(b.correlation_id);
    await Promise.all([waitForJob(client, a.id), waitForJob(client, b.id)]);
  });

  it('surfaces the server sentence of a bad parameter as a TRPCClientError', async () => {
    const client = createIsengardClient({ url: stack.url });
    const err = await client.generation.start.mutate({ config: { prompt: 'x', steps: 500 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCClientError);
    expect((err as TRPCClientError<never>).message).toBe("Parameter 'steps' above maximum (100)");
  });

  it('rejects waitForJob for an unknown job and when its signal aborts', async () => {
    const client = createIsengardClient({ url: stack.url });
    await expect(waitForJob(client, 'generation-000000000000')).rejects.toThrow(/not found/i);
    const job = await client.generation.start.mutate({ config: { prompt: 'slow', steps: 100, width: 2048, height: 2048 }, count: 4 });
    const ac = new AbortController();
    const seen: JobRecord[] = [];
    const waiting = waitForJob(client, job.id, { signal: ac.signal, onUpdate: (r) => (seen.push(r), ac.abort(new Error('stop'))) });
    await expect(waiting).rejects.toThrow('stop');
    expect(seen).toHaveLength(1);
    await client.jobs.cancel.mutate({ id: job.id });
  });
});

describe('uploadImages', () => {
  it('uploads real PNGs and reports rejections with the server reason', async () => {
    const client = createIsengardClient({ url: stack.url });
    const character = await client.characters.create.mutate({ name: 'Uploader', trigger_word: 'uploader' });
    const files = [
      await writePng(path.join(dir, 'a.png'), 320, 400, 10),
      await writePng(path.join(dir, 'b.png'), 512, 512, 200),
      await writePng(path.join(dir, 'tiny.png'), 64, 64),
    ];
    const result = await uploadImages({ url: stack.url }, character.id, files);
    expect(result.uploaded.map((i) => [i.width, i.height])).toEqual(expect.arrayContaining([[320, 400], [512, 512]]));
    expect(result.uploaded).toHaveLength(2);
    // The shared UploadResult: each stored image says which local file it came from.
    expect(result.uploaded.map((i) => i.filename).sort()).toEqual(['a.png', 'b.png']);
    expect(result.rejected).toEqual([{ filename: 'tiny.png', reason: expect.stringMatching(/256/) }]);
    expect((await client.characters.get.query({ id: character.id })).images).toHaveLength(2);
    const err = await uploadImages({ url: stack.url }, 'char-000000000000', files.slice(0, 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IsengardHttpError);
    expect((err as IsengardHttpError).status).toBe(404);
  });
});

describe('with ISENGARD_API_TOKEN set', () => {
  const token = 'tools-test-token-0123456789';
  let secured: Stack;
  beforeAll(async () => {
    secured = await startStack({ env: { ISENGARD_API_TOKEN: token } });
  });
  afterAll(async () => secured?.stop());

  it('sends the bearer token on queries, mutations, the SSE stream and plain routes', async () => {
    const anonymous = createIsengardClient({ url: secured.url });
    await expect(anonymous.system.info.query()).rejects.toBeInstanceOf(TRPCClientError);
    const client = createIsengardClient({ url: secured.url, token });
    expect((await client.system.info.query()).name).toBe('Isengard API');
    // No worker: the job stays queued until cancelled, which the SSE stream must deliver.
    const job = await client.generation.start.mutate({ config: { prompt: 'guarded' } });
    const statuses: string[] = [];
    const final = waitForJob(client, job.id, {
      onUpdate: (r) => {
        statuses.push(r.status);
        if (r.status === 'queued') void client.jobs.cancel.mutate({ id: job.id });
      },
    });
    expect((await final).status).toBe('cancelled');
    expect(statuses).toEqual(['queued', 'cancelled']);
    await expect(downloadJobLogs({ url: secured.url }, job.id, path.join(dir, 'x.jsonl'))).rejects.toMatchObject({ status: 401 });
    const saved = await downloadJobLogs({ url: secured.url, token }, job.id, path.join(dir, 'guarded.jsonl'));
    expect(saved.bytes).toBeGreaterThan(0);
  });
});
