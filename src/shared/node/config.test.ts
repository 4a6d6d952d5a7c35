import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { comfyuiUrlFor, ConfigError, parseConfig } from './config.js';

describe('config', () => {
  it('has the documented defaults', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      ISENGARD_MODE: 'production',
      TRAINING_BACKEND: 'ai-toolkit',
      IMAGE_BACKEND: 'comfyui',
      CAPTION_BACKEND: 'florence2',
      VOLUME_ROOT: '/runpod-volume/isengard',
      HOST: '127.0.0.1',
      PORT: 8000,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      COMFYUI_URL: 'http://127.0.0.1:8188',
      COMFYUI_DIR: '/comfyui',
      AI_TOOLKIT_DIR: '/ai-toolkit',
      AI_TOOLKIT_PYTHON: 'python3',
      FLUX_MODEL: 'black-forest-labs/FLUX.1-dev',
      LOG_LEVEL: 'info',
    });
    expect(c.ISENGARD_API_TOKEN).toBeUndefined();
  });

  it('fast-test selects the mocks unless a backend is overridden', () => {
    expect(parseConfig({ ISENGARD_MODE: 'fast-test' })).toMatchObject({ TRAINING_BACKEND: 'mock', IMAGE_BACKEND: 'mock', CAPTION_BACKEND: 'mock' });
    expect(parseConfig({ ISENGARD_MODE: 'fast-test', CAPTION_BACKEND: 'florence2' })).toMatchObject({ IMAGE_BACKEND: 'mock', CAPTION_BACKEND: 'florence2' });
    expect(parseConfig({ ISENGARD_MODE: 'fast-test', IMAGE_BACKEND: 'comfyui' })).toMatchObject({ TRAINING_BACKEND: 'mock', IMAGE_BACKEND: 'comfyui' });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['ISENGARD_MODE', 'turbo'],
    ['REDIS_URL', 'http://localhost'],
    ['COMFYUI_URL', 'not a url'],
    ['LOG_LEVEL', 'loud'],
    ['TRAINING_BACKEND', 'kohya'],
    ['CAPTION_BACKEND', 'blip'],
    ['ISENGARD_API_TOKEN', 'short'],
    ['COMFYUI_URLS', 'http://127.0.0.1:8188'],
    ['COMFYUI_URLS', '0=not-a-url'],
    ['COMFYUI_URLS', '0=http://a:1,0=http://b:2'],
    ['COMFYUI_URLS', ' , '],
    ['COMFYUI_URLS', 'gpu 0=http://a:1'],
    ['TRUST_PROXY', 'yes-please'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', '99'],
    ['ISENGARD_ALLOWED_HOSTS', 'https://pod.example'],
    ['ISENGARD_ALLOWED_HOSTS', 'pod.example:8000'],
    ['RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', '0'],
    ['SESSION_IDLE_MINUTES', 'forever'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(`^Invalid environment variable ${name}=`));
  });

  it('TRUST_PROXY is off by default and takes a hop count or CIDRs; allowed hosts are lower-cased', () => {
    expect(parseConfig({}).TRUST_PROXY).toEqual({ kind: 'off' });
    expect(parseConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toEqual({ kind: 'hops', hops: 2 });
    expect(parseConfig({ TRUST_PROXY: '127.0.0.1/32, fd00::/8' }).TRUST_PROXY).toEqual({ kind: 'cidrs', cidrs: ['127.0.0.1/32', 'fd00::/8'] });
    expect(parseConfig({ ISENGARD_ALLOWED_HOSTS: 'Pod-8000.proxy.runpod.net, *.example.com' }).ISENGARD_ALLOWED_HOSTS).toEqual(['pod-8000.proxy.runpod.net', '*.example.com']);
  });

  it('on a RunPod pod its proxy name for PORT is allowed without being listed', () => {
    expect(parseConfig({ RUNPOD_POD_ID: 'abc123xyz', PORT: '8000' }).ISENGARD_ALLOWED_HOSTS).toEqual(['abc123xyz-8000.proxy.runpod.net']);
    expect(parseConfig({ RUNPOD_POD_ID: 'abc123xyz', ISENGARD_ALLOWED_HOSTS: 'studio.example' }).ISENGARD_ALLOWED_HOSTS).toEqual(['studio.example', 'abc123xyz-8000.proxy.runpod.net']);
    expect(parseConfig({ RUNPOD_POD_ID: 'not a pod/id' }).ISENGARD_ALLOWED_HOSTS).toEqual([]);
  });

  it('a process started with a bad TRUST_PROXY exits 1 naming it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/shared/node/config.ts').then(m => m.loadConfigOrExit())"], {
      env: { ...process.env, TRUST_PROXY: 'nginx', VOLUME_ROOT: '/tmp' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid environment variable TRUST_PROXY="nginx"');
  });

  it('a process started with a bad value exits 1 naming it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/shared/node/config.ts').then(m => m.loadConfigOrExit())"], {
      env: { ...process.env, PORT: 'nope' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid environment variable PORT="nope"');
  });

  it('COMFYUI_URLS maps each worker GPU to its own ComfyUI, falling back to COMFYUI_URL', () => {
    const env = { COMFYUI_URL: 'http://127.0.0.1:8188', COMFYUI_URLS: '0=http://127.0.0.1:8188, 1=http://127.0.0.1:8189' };
    expect(parseConfig(env).COMFYUI_URLS).toEqual({ '0': 'http://127.0.0.1:8188', '1': 'http://127.0.0.1:8189' });
    expect(comfyuiUrlFor(parseConfig({ ...env, CUDA_VISIBLE_DEVICES: '1' }))).toEqual({ url: 'http://127.0.0.1:8189', dedicated: true });
    expect(comfyuiUrlFor(parseConfig({ ...env, CUDA_VISIBLE_DEVICES: '1,0' }))).toEqual({ url: 'http://127.0.0.1:8189', dedicated: true });
    expect(comfyuiUrlFor(parseConfig({ ...env, CUDA_VISIBLE_DEVICES: '2' }))).toEqual({ url: 'http://127.0.0.1:8188', dedicated: false });
    expect(comfyuiUrlFor(parseConfig({ ...env }))).toEqual({ url: 'http://127.0.0.1:8188', dedicated: false });
    expect(comfyuiUrlFor(parseConfig({ COMFYUI_URL: 'http://x:1', CUDA_VISIBLE_DEVICES: '0' }))).toEqual({ url: 'http://x:1', dedicated: false });
  });

  it("AI_TOOLKIT_PYTHON defaults to the toolkit's venv python when it exists", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'isengard-aitk-venv-'));
    try {
      expect(parseConfig({ AI_TOOLKIT_DIR: dir }).AI_TOOLKIT_PYTHON).toBe('python3');
      fs.mkdirSync(path.join(dir, 'venv', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'venv', 'bin', 'python'), '#!/bin/sh\n', { mode: 0o755 });
      expect(parseConfig({ AI_TOOLKIT_DIR: dir }).AI_TOOLKIT_PYTHON).toBe(path.join(dir, 'venv', 'bin', 'python'));
      expect(parseConfig({ AI_TOOLKIT_DIR: dir, AI_TOOLKIT_PYTHON: '/usr/bin/python3.11' }).AI_TOOLKIT_PYTHON).toBe('/usr/bin/python3.11');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker started with a bad COMFYUI_URLS exits 1 naming the variable', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "import('./src/shared/node/config.ts').then(m => m.loadConfigOrExit())"], {
      env: { ...process.env, VOLUME_ROOT: os.tmpdir(), COMFYUI_URLS: '0:http://127.0.0.1:8188' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Invalid environment variable COMFYUI_URLS="0:http://127.0.0.1:8188"');
  });
});

describe('JOB_RETENTION_DAYS', () => {
  it('is unset (keep forever) by default, a whole number of days when set, and named when bad', () => {
    expect(parseConfig({}).JOB_RETENTION_DAYS).toBeUndefined();
    expect(parseConfig({ JOB_RETENTION_DAYS: '90' }).JOB_RETENTION_DAYS).toBe(90);
    expect(() => parseConfig({ JOB_RETENTION_DAYS: '0' })).toThrow(/^Invalid environment variable JOB_RETENTION_DAYS="0"/);
    expect(() => parseConfig({ JOB_RETENTION_DAYS: '1.5' })).toThrow(/JOB_RETENTION_DAYS="1.5": must be a whole number of days/);
  });
});
