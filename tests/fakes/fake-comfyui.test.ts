/** The fake must speak the protocol the README documents, or the client tests prove nothing. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { buildWorkflow } from '../../src/worker/backends/image/comfyui/workflow-build.js';
import { createTestJobContext, startFakeComfyUI, type FakeComfyUI } from './fake-comfyui.js';

let fake: FakeComfyUI;
afterEach(async () => fake?.close());

const post = (p: string, body: unknown) => fetch(fake.url + p, { method: 'POST', body: JSON.stringify(body) });
const get = async (p: string) => (await fetch(fake.url + p)).json() as Promise<Record<string, any>>;
function small(steps = 3) {
  const g = buildWorkflow('flux-dev-upscale');
  g['12']!.inputs.width = 32;
  g['12']!.inputs.height = 16;
  g['10']!.inputs.steps = steps;
  return g;
}
async function listen(clientId: string) {
  const events: Array<{ type: string; data: Record<string, unknown> }> = [];
  let binary = 0;
  const ws = new WebSocket(`${fake.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
  ws.on('message', (d, isBinary) => (isBinary ? binary++ : events.push(JSON.parse(String(d)))));
  await new Promise((r) => ws.once('open', r));
  return { events, ws, binary: () => binary };
}
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('fake ComfyUI', () => {
  it('runs a prompt with the real event sequence, history and /view', async () => {
    fake = await startFakeComfyUI({ stepDelayMs: 1 });
    const { events, ws, binary } = await listen('me');
    expect(events[0]).toMatchObject({ type: 'status', data: { sid: 'me' } });
    const { prompt_id, node_errors } = (await (await post('/prompt', { prompt: small(), client_id: 'me' })).json()) as Record<string, any>;
    expect(node_errors).toEqual({});
    await until(() => events.some((e) => e.type === 'executing' && e.data.node === null));
    const mine = events.filter((e) => e.data.prompt_id === prompt_id).map((e) => (e.type === 'executing' ? `executing:${e.data.node}` : e.type));
    expect(mine.slice(0, 2)).toEqual(['execution_start', 'execution_cached']);
    expect(mine.filter((t) => t === 'progress')).toHaveLength(3);
    expect(mine.slice(-3)).toEqual(['executed', 'execution_success', 'executing:null']);
    expect(binary()).toBe(3);
    const h = (await get(`/history/${prompt_id}`))[prompt_id];
    expect(h.status).toMatchObject({ status_str: 'success', completed: true });
    const img = h.outputs['17'].images[0];
    const png = Buffer.from(await (await fetch(`${fake.url}/view?filename=${img.filename}&subfolder=&type=output`)).arrayBuffer());
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width: 64, height: 32 });
    expect((await fetch(`${fake.url}/view?filename=nope.png&type=output`)).status).toBe(404);
    expect(await get('/history/unknown')).toEqual({});
    ws.close();
  });

  it('validates prompts like ComfyUI and lists LoRAs from models/loras', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-comfy-'));
    fake = await startFakeComfyUI({ comfyuiDir: dir });
    const lora = buildWorkflow('flux-dev-lora');
    let res = await post('/prompt', { prompt: lora, client_id: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).node_errors['6']).toMatchObject({ class_type: 'LoraLoaderModelOnly', errors: [{ type: 'value_not_in_list' }] });
    fs.mkdirSync(path.join(dir, 'models', 'loras', 'isengard'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'models', 'loras', 'isengard', 'lora.safetensors'), '');
    expect((await get('/object_info')).LoraLoaderModelOnly.input.required.lora_name).toEqual([['isengard/lora.safetensors']]);
    res = await post('/prompt', { prompt: lora, client_id: 'x' });
    expect(res.status).toBe(200);
    const unknown = { ...small(), 99: { class_type: 'Nope', inputs: {} } };
    expect(((await (await post('/prompt', { prompt: unknown })).json()) as any).error.type).toBe('invalid_prompt');
    const noOut = small();
    delete noOut['17'];
    expect(((await (await post('/prompt', { prompt: noOut })).json()) as any).error.type).toBe('prompt_no_outputs');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps one prompt running, deletes pending ones, interrupts only the named running prompt', async () => {
    fake = await startFakeComfyUI({ stepDelayMs: 20 });
    const { events } = await listen('me');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await post('/prompt', { prompt: small(50), client_id: 'me' })).json()) as { prompt_id: string }).prompt_id);
    const q = await get('/queue');
    expect(q.queue_running.map((x: unknown[]) => x[1])).toEqual([ids[0]]);
    expect(q.queue_pending.map((x: unknown[]) => x[1])).toEqual([ids[1], ids[2]]);
    await post('/queue', { delete: [ids[2]] });
    await post('/interrupt', { prompt_id: ids[1] }); // not running: ignored, as in ComfyUI
    expect(fake.interrupts).toEqual([{ prompt_id: ids[1], interrupted: undefined }]);
    await post('/interrupt', { prompt_id: ids[0] });
    await until(() => events.some((e) => e.type === 'execution_interrupted'));
    const h = (await get(`/history/${ids[0]}`))[ids[0]!];
    expect(h.status.status_str).toBe('error');
    expect((await get('/queue')).queue_running.map((x: unknown[]) => x[1])).toEqual([ids[1]]);
    expect((await get('/system_stats')).devices[0].type).toBe('cuda');
  });

  it('createTestJobContext writes a real job log', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-ctx-'));
    const t = createTestJobContext(dir);
    t.ctx.logger.info('hello', 'test.event', { a: 1 });
    expect(t.readLog()).toMatchObject([{ level: 'INFO', event: 'test.event', msg: 'hello', job_id: t.ctx.jobId, fields: { a: 1 } }]);
    t.ctx.logger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
