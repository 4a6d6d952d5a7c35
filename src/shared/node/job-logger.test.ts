import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { runWithCorrelation } from './correlation.js';
import { JobLogger } from './job-logger.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'joblog-'));

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

describe('JobLogger', () => {
  it('writes the correlation id and job id of the context (seed test)', () => {
    const dir = tmp();
    const file = path.join(dir, 'logs', 'jobs', 'test-job-001.jsonl');
    const { logger } = capture();
    runWithCorrelation('corr-abc123', () => {
      const log = new JobLogger({ jobId: 'test-job-001', service: 'worker', logPath: file, logger });
      log.info('Test message', 'test.event');
      log.close();
    });
    const record = JSON.parse(fs.readFileSync(file, 'utf8').split('\n')[0]!);
    expect(record.correlation_id).toBe('corr-abc123');
    expect(record.job_id).toBe('test-job-001');
  });

  it('keeps the key order, omits null keys, uses the four levels', () => {
    const dir = tmp();
    const file = path.join(dir, 'j.jsonl');
    const { logger } = capture();
    const log = new JobLogger({ jobId: 'training-abc', service: 'api', logPath: file, logger, correlationId: 'c-1' });
    log.debug('d');
    log.info('i', 'job.queued', { a: 1 });
    log.warning('w', 'job.retry');
    log.error('e', 'job.failed', {});
    log.close();
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.level)).toEqual(['DEBUG', 'INFO', 'WARNING', 'ERROR']);
    expect(Object.keys(records[1]!)).toEqual(['ts', 'level', 'service', 'job_id', 'correlation_id', 'event', 'msg', 'fields']);
    expect(Object.keys(records[0]!)).toEqual(['ts', 'level', 'service', 'job_id', 'correlation_id', 'msg']);
    expect(Object.keys(records[3]!)).not.toContain('fields');
    expect(records[1]!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(records[1]!.service).toBe('api');
  });

  it('mirrors each record to pino with job_id and correlation_id', () => {
    const { logger, lines } = capture();
    const log = new JobLogger({ jobId: 'generation-1', service: 'worker', logPath: path.join(tmp(), 'x.jsonl'), logger });
    runWithCorrelation('corr-9', () => log.warning('careful', 'job.retry', { n: 2 }));
    log.close();
    expect(lines[0]).toMatchObject({ level: 40, job_id: 'generation-1', correlation_id: 'corr-9', event: 'job.retry', msg: 'careful', fields: { n: 2 } });
  });

  it('two processes appending at once never interleave lines', async () => {
    const file = path.join(tmp(), 'shared.jsonl');
    const script = `
      import pino from 'pino';
      import { JobLogger } from './src/shared/node/job-logger.ts';
      const log = new JobLogger({ jobId: 'j', service: process.argv[1], logPath: ${JSON.stringify(file)}, logger: pino({ level: 'silent' }), correlationId: 'c' });
      for (let i = 0; i < 2000; i++) log.info('x'.repeat(500 + (i % 300)), 'spam', { i });
      log.close();`;
    const run = (who: string) =>
      new Promise<number | null>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, who], { stdio: 'ignore' });
        child.on('exit', resolve);
      });
    expect(await Promise.all([run('api'), run('worker')])).toEqual([0, 0]);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4000);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('shows volume paths relative in the file (nested, in msg, with characters JSON escapes), absolute in pino; BigInt as text', async () => {
    const root = path.join(tmp(), 'vol"ume');
    const file = path.join(root, 'logs', 'jobs', 'job-paths.jsonl');
    const { logger, lines } = capture();
    const log = new JobLogger({ jobId: 'job-paths', service: 'api', logPath: file, logger });
    await log.logAsync('INFO', `Saved ${root}/loras/a.safetensors`, 'lora.saved', {
      file: `${root}/loras/a.safetensors`,
      nested: { list: [`${root}/outputs/x.png`, 'plain'] },
      steps: 10n,
    });
    log.info(`Again ${root}/y`, 'second');
    log.close();
    const [first, second] = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first!.msg).toBe('Saved loras/a.safetensors');
    expect(first!.fields).toEqual({ file: 'loras/a.safetensors', nested: { list: ['outputs/x.png', 'plain'] }, steps: '10' });
    expect(second!.msg).toBe('Again y');
    expect(lines[0]!.msg).toBe(`Saved ${root}/loras/a.safetensors`);
  });
});
