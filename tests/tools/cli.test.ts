/** The `isengard` CLI spawned as a user runs it, against a real stack with one worker. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobPage, JobRecord } from '../../src/shared/jobs.js';
import type { Character, Lora } from '../../src/shared/characters.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';
import { closedPort, runCli, startCli, waitForStderr, writePng } from './cli-harness.js';

let stack: Stack;
const dir = tempDir('isengard-cli-');
const cli = (...args: string[]) => runCli([...args, '--url', stack.url]);
const json = <T>(stdout: string) => JSON.parse(stdout) as T;

beforeAll(async () => {
  stack = await startStack({ workers: 1 });
});
afterAll(async () => stack?.stop());

describe('help and usage', () => {
  it('bin/isengard.js --help lists every command and exits 0', async () => {
    const r = await runCli(['--help'], { entry: ['bin/isengard.js'] });
    expect(r.code).toBe(0);
    for (const cmd of ['info', 'characters list', 'characters create', 'characters upload', 'train', 'generate', 'jobs logs', 'loras list']) {
      expect(r.stdout).toContain(cmd);
    }
  });

  it('--help on a command shows its own options; a bad flag or command is exit 2', async () => {
    // Independent runs go in parallel: each spawn pays Node + tsx start-up.
    const [help, wrongFlag, unknown, tooFew] = await Promise.all([
      runCli(['generate', '--help']),
      runCli(['loras', 'list', '--follow']),
      runCli(['frobnicate']),
      runCli(['characters', 'create', 'only-a-name']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--upscale[\s\S]*--count[\s\S]*--no-wait/);
    expect([wrongFlag.code, wrongFlag.stderr.trim()]).toEqual([2, "Option '--follow' is not accepted by 'loras list'"]);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([2, "Unknown command 'frobnicate'; run 'isengard --help' for the list"]);
    expect([tooFew.code, tooFew.stderr.trim()]).toEqual([2, 'Usage: isengard characters create <name> <trigger_word>']);
  });

  it('exits 3 with a clear message when the server is unreachable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const [r, viaEnv] = await Promise.all([runCli(['train', 'char-000000000000', '--url', url]), runCli(['info', '--json'], { env: { ISENGARD_URL: url } })]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`Cannot reach the Isengard server at ${url} (ECONNREFUSED)`);
    expect(viaEnv.code).toBe(3);
    expect(json<{ exit_code: number }>(viaEnv.stdout).exit_code).toBe(3);
  });
});

describe('a session: character → upload → train → generate → jobs', () => {
  let character: Character;
  let trained: JobRecord;
  let generated: JobRecord;

  it('info --json is the server capability document', async () => {
    const [r, human] = await Promise.all([cli('info', '--json'), cli('info')]);
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toEqual(await (await fetch(`${stack.url}/api/info`)).json());
    expect(human.stdout).toMatch(/gradient_accumulation .*not supported: Not yet implemented in AI-Toolkit adapter/);
    expect(human.stdout).toMatch(/learning_rate .*only when optimizer is adamw8bit\|adamw/);
    expect(human.stdout).toMatch(/precision .*unavailable: fp16\|fp32/);
    expect(human.stdout).toMatch(/guidance_scale .*only when model_variant is flux-dev/);
  });

  it('creates a character and uploads two real PNGs', async () => {
    const created = await cli('characters', 'create', 'Ada Lovelace', 'ada_l', '--json');
    expect(created.code).toBe(0);
    character = json<Character>(created.stdout);
    expect(character).toMatchObject({ name: 'Ada Lovelace', trigger_word: 'ada_l' });

    const files = [await writePng(path.join(dir, 'one.png'), 256, 320, 30), await writePng(path.join(dir, 'two.png'), 400, 300, 220)];
    const smallFile = await writePng(path.join(dir, 'small.png'), 100, 100);
    const [up, small] = await Promise.all([cli('characters', 'upload', character.id, ...files), cli('characters', 'upload', character.id, smallFile)]);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/uploaded\s+img-[0-9a-f]{12}\.png\s+256x320/);
    expect(up.stdout).toMatch(/uploaded\s+img-[0-9a-f]{12}\.png\s+400x300/);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(/rejected\s+small\.png: .*256/);

    const listed = await cli('characters', 'list', '--json');
    const mine = json<Character[]>(listed.stdout).find((c) => c.id === character.id);
    expect(mine?.images).toHaveLength(2);
  });

  it('rejects a bad parameter before sending, with the server sentence (exit 2)', async () => {
    const before = await stack.call<JobPage>('jobs.list', { type: 'training' });
    const [r, typed, unwired] = await Promise.all([
      cli('train', character.id, '--preset', 'quick', '--param', 'steps=5'),
      cli('train', character.id, '--param', 'lora_rank=7', '--param', 'learning_rate=fast'),
      cli('train', character.id, '--param', 'network_alpha=8'),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("Parameter 'steps' below minimum (100)");
    expect(typed.code).toBe(2);
    expect(typed.stderr.trim().split('\n')).toEqual(["Parameter 'lora_rank' must be one of [4, 8, 16, 32, 64, 128]", "Parameter 'learning_rate' must be a number"]);
    expect(unwired.stderr.trim()).toBe("Parameter 'network_alpha' not supported by mock: Planned for Phase 2");
    const after = await stack.call<JobPage>('jobs.list', { type: 'training' });
    expect(after.body.items).toHaveLength(before.body.items.length);
  });

  it('prints the server sentence of a 400 the CLI does not pre-check (exit 2)', async () => {
    const [r, missing] = await Promise.all([cli('generate', 'a portrait', '--count', '9'), cli('jobs', 'show', 'training-000000000000')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("Parameter 'count' above maximum (4)");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Job 'training-000000000000' not found");
  });

  it('trains with --preset quick and --param steps=100 to completion', async () => {
    const r = await cli('train', character.id, '--preset', 'quick', '--param', 'steps=100', '--json');
    expect(r.code, r.stderr).toBe(0);
    trained = json<JobRecord>(r.stdout);
    expect(trained).toMatchObject({ status: 'completed', character_id: character.id });
    expect(trained.config).toMatchObject({ steps: 100, lora_rank: 8, resolution: 768, scheduler: 'constant', learning_rate: 2e-4 });
    expect(trained.result_lora_id).toMatch(/^lora-[0-9a-f]{12}$/);
    expect(r.stderr).toBe('');
  });

  it('lists the trained LoRA', async () => {
    const [r, human] = await Promise.all([cli('loras', 'list', '--json'), cli('loras', 'list')]);
    expect(json<Lora[]>(r.stdout).map((l) => l.id)).toContain(trained.result_lora_id);
    expect(human.stdout).toMatch(new RegExp(`${trained.result_lora_id}\\s+Ada Lovelace\\s+ada_l\\s+100\\s+8`));
  });

  it('evaluate renders a checkpoint × strength grid of the training, following it, then says where it is', async () => {
    const r = await cli('evaluate', trained.id, '--strength', '0.8,1.0', '--prompt', 'ada_l at a desk', '--checkpoints', '50', '--seed', '5', '--width', '512', '--height', '768', '--steps', '8');
    expect(r.code, r.stderr).toBe(0);
    const id = /^(evaluation-[0-9a-f]{12})\s+evaluation\s+completed\s+2 rows × 2 strengths × 1 prompts, 4\/4 images$/m.exec(r.stdout)?.[1];
    expect(id, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(/prompt 0\s+seed 5\s+ada_l at a desk/);
    expect(r.stdout).toContain('  each image  flux-dev, 512 × 768 px, 8 steps\n');
    expect(r.stdout).toMatch(/^\s+50\s+1\/1\s+1\/1\s*$/m);
    expect(r.stdout).toMatch(/^\s+100 final\s+1\/1\s+1\/1\s*$/m);
    expect(r.stdout).toContain(`  grid        ${stack.url}/evaluations/${id!}\n`); // the SPA page
    expect(r.stdout).toContain(`${stack.url}/api/trpc/evaluations.get?input=`);
    expect(r.stderr).toContain(id!); // progress lines while it ran
    const [show, record, bad, small] = await Promise.all([
      cli('evaluate', 'show', id!, '--json'),
      cli('jobs', 'show', id!, '--json'),
      cli('evaluate', trained.id, '--strength', '0.8,x'),
      cli('evaluate', trained.id, '--width', '256'),
    ]);
    expect(json<{ rows: { step: number }[] }>(show.stdout).rows.map((row) => row.step)).toEqual([50, 100]);
    // Every cell was rendered at the size asked for.
    const outputs = json<JobRecord>(record.stdout).outputs;
    expect(outputs).toHaveLength(4);
    for (const o of outputs) expect(o).toMatchObject({ width: 512, height: 768 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Parameter 'strengths' must be a number");
    expect(small.code).toBe(2);
    expect(small.stderr).toContain("Parameter 'width' below minimum (512)");
  }, 120_000);

  it('generates two upscaled images with the LoRA, showing plain progress lines off a TTY', async () => {
    const r = await cli('generate', 'ada_l reading by a window', '--lora', trained.result_lora_id!, '--upscale', '--count', '2', '--param', 'width=512', '--param', 'height=512', '--param', 'steps=30');
    expect(r.code, r.stderr).toBe(0);
    const progressLines = r.stderr.trim().split('\n');
    expect(progressLines.some((l) => /^generation-[0-9a-f]{12} running\s+\d+%\s+step \d+\/30/.test(l))).toBe(true);
    expect(progressLines.length).toBeLessThanOrEqual(14);
    const id = /^(generation-[0-9a-f]{12})\s+generation\s+completed/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    expect(r.stdout.match(/image\s+generation-\S+\.png 1024x1024 seed \d+\s+http:\/\/\S+\/files\//g)).toHaveLength(2);
    generated = json<JobRecord>((await cli('jobs', 'show', id!, '--json')).stdout);
    expect(generated).toMatchObject({ status: 'completed', lora_id: trained.result_lora_id, count: 2, config: { use_upscale: true, width: 512 } });
  });

  it('jobs list / show / logs', async () => {
    const [listRun, filteredRun, show, logs, ndjsonRun] = await Promise.all([
      cli('jobs', 'list', '--json'),
      cli('jobs', 'list', '--type', 'training', '--json'),
      cli('jobs', 'show', trained.id),
      cli('jobs', 'logs', generated.id),
      cli('jobs', 'logs', generated.id, '--json'),
    ]);
    const list = json<JobPage>(listRun.stdout);
    expect(list.items.map((j) => j.id)).toEqual(expect.arrayContaining([trained.id, generated.id]));
    const filtered = json<JobPage>(filteredRun.stdout);
    expect(filtered.items.map((j) => j.type)).toEqual(['training']);

    expect(show.stdout).toContain(`${trained.id}  training  completed`);
    expect(show.stdout).toContain(`trained     ${trained.result_lora_id}`);

    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/INFO\s+api\s+job\.queued/);
    expect(logs.stdout).toMatch(/upscale\.applied/);
    expect(logs.stdout.trim().split('\n').at(-1)).toMatch(/job\.complete/);
    const ndjson = ndjsonRun.stdout.trim().split('\n').map((l) => JSON.parse(l) as { job_id: string });
    expect(ndjson.every((l) => l.job_id === generated.id)).toBe(true);
  });

  it('jobs logs --follow streams until a job started with --no-wait finishes', async () => {
    const started = await cli('generate', 'a quick sketch', '--no-wait', '--param', 'steps=100', '--param', 'width=512', '--param', 'height=512', '--json');
    const job = json<JobRecord>(started.stdout);
    expect(job.status).toBe('queued');
    const r = await cli('jobs', 'logs', job.id, '--follow');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/job\.complete/);
    expect((await stack.api.infra.store.get(job.id))?.status).toBe('completed');
  });

  it('Ctrl-C stops following (exit 130) but leaves the job running', async () => {
    const following = startCli(['generate', 'a mural', '--count', '4', '--param', 'steps=100', '--param', 'width=2048', '--param', 'height=2048', '--url', stack.url]);
    const id = await waitForStderr(following, /(generation-[0-9a-f]{12}) running/);
    following.kill('SIGINT');
    const r = await following.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`Stopped following ${id}; it keeps running`);
    expect((await stack.api.infra.store.get(id))?.status).toBe('running');
    await stack.call('jobs.cancel', { id });
    await stack.waitFor(id);
  });

  it('jobs cancel stops a running training; the waiting train command exits 1', async () => {
    const training = startCli(['train', character.id, '--param', 'steps=10000', '--url', stack.url]);
    const id = await waitForStderr(training, /(training-[0-9a-f]{12}) running/);
    const cancel = await cli('jobs', 'cancel', id);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/cancel/);
    const done = await training.done;
    expect(done.code).toBe(1);
    expect(done.stdout).toContain(`${id}  training  cancelled`);
    const again = await cli('jobs', 'cancel', id);
    expect([again.code, again.stderr.trim()]).toEqual([2, `Job '${id}' is already cancelled`]);
  });
});
