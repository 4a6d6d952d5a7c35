/**
 * Scale-out on one Redis: 2 API processes and 3 worker processes. 60 mixed jobs submitted
 * round-robin through both APIs all finish exactly once; every API's subscription sees updates
 * from any worker; killing a worker mid-run loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/shared/jobs.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis-server.js';
import { spawnNode, waitForLine, type WorkerProcess } from '../helpers/stack.js';
import { pngOf } from '../helpers/fixtures.js';
import { tempDir, testEnv } from '../helpers/test-config.js';
import { createJobStoreReader } from '../helpers/job-reader.js';

let redis: TestRedis;
let env: Record<string, string>;
const apis: { url: string; proc: WorkerProcess }[] = [];
const workers: WorkerProcess[] = [];
let reader: Awaited<ReturnType<typeof createJobStoreReader>>;

async function call<T>(url: string, proc: string, input: unknown): Promise<T> {
  const res = await fetch(`${url}/api/trpc/${proc}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(input) });
  const json = (await res.json()) as { result?: { data: T }; error?: { message: string } };
  if (!json.result) throw new Error(`${proc}: ${res.status} ${json.error?.message}`);
  return json.result.data;
}

beforeAll(async () => {
  redis = await startRedis();
  env = { ...testEnv(redis.url, tempDir('isengard-scale-')), LOG_LEVEL: 'info', MOCK_STEP_MS: '10', ISENGARD_STALL_INTERVAL_MS: '1000', RATE_LIMIT_PER_MINUTE: '10000' };
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const proc = spawnNode('src/server/main.ts', { ...env, PORT: String(port) });
    await waitForLine(proc, /Isengard API listening/);
    apis.push({ url: `http://127.0.0.1:${port}`, proc });
  }
  for (let i = 0; i < 3; i++) {
    const w = spawnNode('src/worker/main.ts', { ...env, WORKER_NAME: `scale-w${i}` });
    await waitForLine(w, /worker ready/);
    workers.push(w);
  }
  reader = await createJobStoreReader(redis.url);
}, 60_000);

afterAll(async () => {
  for (const p of [...workers, ...apis.map((a) => a.proc)]) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all([...workers, ...apis.map((a) => a.proc)].map((p) => p.exited));
  await reader?.close();
  await redis?.stop();
});

async function characterOn(url: string, trigger: string): Promise<string> {
  const c = await call<{ id: string }>(url, 'characters.create', { name: trigger, trigger_word: trigger });
  const form = new FormData();
  form.append('images', new Blob([new Uint8Array(await pngOf(300, 300))], { type: 'image/png' }), 'a.png');
  const res = await fetch(`${url}/api/characters/${c.id}/images`, { method: 'POST', body: form });
  expect(res.status).toBe(200);
  return c.id;
}

function submit(i: number, characterId: string): Promise<JobRecord> {
  const url = apis[i % 2]!.url;
  return i % 4 === 0
    ? call<JobRecord>(url, 'training.start', { character_id: characterId, config: { steps: 100 } })
    : call<JobRecord>(url, 'generation.start', { config: { prompt: `job ${i}`, width: 512, height: 512, steps: 2 } });
}

async function sseRecords(url: string, jobId: string): Promise<JobRecord[]> {
  const res = await fetch(`${url}/api/trpc/jobs.onUpdate?input=${encodeURIComponent(JSON.stringify({ jobId }))}`, { headers: { accept: 'text/event-stream' } });
  const out: JobRecord[] = [];
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('data: ')) continue;
    try {
      const d = JSON.parse(line.slice(6)) as JobRecord;
      if (d && typeof d === 'object' && 'status' in d) out.push(d);
    } catch {
      /* ping */
    }
  }
  return out;
}

describe('2 APIs × 3 workers on one Redis', () => {
  it('60 mixed jobs through both APIs all finish exactly once, seen live from either API', async () => {
    const characterId = await characterOn(apis[0]!.url, 'scale_person');
    const jobs = await Promise.all(Array.from({ length: 60 }, (_, i) => submit(i, characterId)));
    expect(new Set(jobs.map((j) => j.id)).size).toBe(60);
    // Both APIs stream the same job's updates, whichever worker runs it.
    const watched = jobs[5]!.id;
    const [viaA, viaB] = await Promise.all([sseRecords(apis[0]!.url, watched), sseRecords(apis[1]!.url, watched)]);
    expect(viaA.at(-1)!.status).toBe('completed');
    expect(viaB.at(-1)!.status).toBe('completed');

    const done = await reader.waitAll(jobs.map((j) => j.id), 90_000);
    expect(done.filter((r) => r.status !== 'completed').map((r) => `${r.id}:${r.status}:${r.error}`)).toEqual([]);
    for (const r of done) expect(r.attempts, r.id).toBe(1);
    const starts = await reader.countEvents(jobs.map((j) => j.id), 'job.start', env.VOLUME_ROOT!);
    expect(Object.values(starts).every((n) => n === 1)).toBe(true);
    const byWorker = new Set(done.map((r) => r.worker));
    expect(byWorker.size).toBeGreaterThan(1);
  }, 120_000);

  it('killing a worker mid-run loses nothing', async () => {
    const characterId = await characterOn(apis[1]!.url, 'kill_person');
    // Trainings of 300 steps (about 3 s each): long enough that the victim is still inside the
    // job it was caught running when the SIGKILL lands; a 2-step generation could finish first.
    const jobs = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call<JobRecord>(apis[i % 2]!.url, 'training.start', { character_id: characterId, config: { steps: 300 } })),
    );
    const victim = workers[0]!;
    let caught: JobRecord | undefined;
    await reader.waitUntil(async () => {
      caught = (await reader.getMany(jobs.map((j) => j.id))).find((r) => r.status === 'running' && r.worker === 'scale-w0' && r.progress < 0.5);
      return caught !== undefined;
    }, 30_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const done = await reader.waitAll(jobs.map((j) => j.id), 90_000);
    expect(done.map((r) => r.status)).toEqual(Array(6).fill('completed'));
    // The job the victim held is taken over by a live worker and runs a second time.
    const retried = done.find((r) => r.id === caught!.id)!;
    expect(retried.attempts).toBe(2);
    expect(retried.worker).not.toBe('scale-w0');
  }, 120_000);
});
