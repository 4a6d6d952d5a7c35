/** The worker's ai-toolkit start-up checks: the venv python must import torch and toolkit.job; a gated hub model needs a token. */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKE_AI_TOOLKIT_DIR, fakeToolkitConfig, removeTmpDirs, tmpDir } from '../../../../../tests/fakes/fake-ai-toolkit/harness.js';
import { createAiToolkitBackend } from './index.js';
import { checkToolkitPython, hubTokenWarning } from './startup-checks.js';

afterAll(removeTmpDirs);
const VENV_PYTHON = path.join(FAKE_AI_TOOLKIT_DIR, 'venv', 'bin', 'python');

function capture() {
  const lines: Array<{ level: number; msg: string } & Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }));
  return { logger, lines };
}

describe('checkToolkitPython', () => {
  it("the toolkit's venv python (default) imports torch and toolkit.job", async () => {
    expect(fakeToolkitConfig(tmpDir()).AI_TOOLKIT_PYTHON).toBe(VENV_PYTHON);
    const check = await checkToolkitPython(VENV_PYTHON, FAKE_AI_TOOLKIT_DIR);
    expect(check).toEqual({ ok: true, python: VENV_PYTHON, versions: expect.stringMatching(/^3\.\d+\.\d+ 0\.0\.0\+isengard\.fake$/) });
  });

  it('a python without torch fails with the import error, not just "it runs"', async () => {
    const check = await checkToolkitPython('python3', FAKE_AI_TOOLKIT_DIR);
    expect(check).toEqual({ ok: false, python: 'python3', reason: expect.stringMatching(/^'python3' cannot import torch and toolkit\.job in .*: ModuleNotFoundError: No module named 'torch'$/) });
  });

  it('a folder without run.py, or a python that does not exist, says what to set', async () => {
    const empty = tmpDir();
    expect(await checkToolkitPython('python3', empty)).toMatchObject({ ok: false, reason: `${path.join(empty, 'run.py')} is missing (set AI_TOOLKIT_DIR to the ai-toolkit checkout)` });
    const r = await checkToolkitPython('/nonexistent/python', FAKE_AI_TOOLKIT_DIR);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining("'/nonexistent/python' does not run") });
  });
});

describe('ai-toolkit backend init', () => {
  it('logs ready only when the import check passes, and a clear error otherwise', async () => {
    const good = capture();
    await createAiToolkitBackend(fakeToolkitConfig(tmpDir())).init!(good.logger);
    expect(good.lines.find((l) => l.msg === 'ai-toolkit backend ready')).toMatchObject({ python: VENV_PYTHON, versions: expect.stringContaining('isengard.fake') });

    const bad = capture();
    await createAiToolkitBackend(fakeToolkitConfig(tmpDir(), { AI_TOOLKIT_PYTHON: 'python3' })).init!(bad.logger);
    expect(bad.lines.map((l) => l.msg)).not.toContain('ai-toolkit backend ready');
    const error = bad.lines.find((l) => l.level === 50)!;
    expect(error.msg).toMatch(/^ai-toolkit is NOT ready: 'python3' cannot import torch and toolkit\.job .*No module named 'torch'; training jobs will fail until this is fixed$/);
  });

  it('warns at start when FLUX_MODEL is an uncached hub id and HF_TOKEN is unset, never printing a token', async () => {
    const hfHome = tmpDir();
    const warned = capture();
    await createAiToolkitBackend(fakeToolkitConfig(tmpDir(), { FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_HOME: hfHome })).init!(warned.logger);
    const warning = warned.lines.find((l) => l.level === 40)!;
    expect(warning.msg).toContain('FLUX_MODEL=black-forest-labs/FLUX.1-dev is a Hugging Face hub id');
    expect(warning.msg).toContain('HF_TOKEN is not set');

    const withToken = capture();
    await createAiToolkitBackend(fakeToolkitConfig(tmpDir(), { FLUX_MODEL: 'black-forest-labs/FLUX.1-dev', HF_HOME: hfHome, HF_TOKEN: 'hf_tokentokentoken' })).init!(withToken.logger);
    expect(withToken.lines.filter((l) => l.level === 40)).toEqual([]);
    expect(JSON.stringify(withToken.lines)).not.toContain('hf_tokentokentoken');
  });
});

describe('hubTokenWarning', () => {
  it('is silent for a local path, a cached hub model, or a set token', () => {
    const hfHome = tmpDir();
    expect(hubTokenWarning('/models/FLUX.1-dev', undefined, { HF_HOME: hfHome })).toBeNull();
    expect(hubTokenWarning('black-forest-labs/FLUX.1-dev', 'hf_x', { HF_HOME: hfHome })).toBeNull();
    expect(hubTokenWarning('black-forest-labs/FLUX.1-dev', undefined, { HF_HOME: hfHome })).toContain(path.join(hfHome, 'hub'));
    const snap = path.join(hfHome, 'hub', 'models--black-forest-labs--FLUX.1-dev', 'snapshots', 'abc123');
    fs.mkdirSync(snap, { recursive: true });
    fs.writeFileSync(path.join(snap, 'model_index.json'), '{}');
    expect(hubTokenWarning('black-forest-labs/FLUX.1-dev', undefined, { HF_HOME: hfHome })).toBeNull();
  });
});
