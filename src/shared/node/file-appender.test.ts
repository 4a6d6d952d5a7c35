import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileAppender } from './file-appender.js';

const dirs: string[] = [];
const tmp = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'appender-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('FileAppender', () => {
  it('appends every line of concurrent calls, makes missing folders, keeps each file’s lines in call order', async () => {
    const dir = tmp();
    const appender = new FileAppender();
    const calls: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) calls.push(appender.append(path.join(dir, 'logs', `job-${i % 30}.jsonl`), `{"n":${i}}\n`));
    await Promise.all(calls);
    for (let j = 0; j < 30; j++) {
      const lines = fs.readFileSync(path.join(dir, 'logs', `job-${j}.jsonl`), 'utf8').trim().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(Array.from({ length: 10 }, (_, k) => j + 30 * k));
    }
    await appender.close();
  });

  it('resolves only once the line is in the file', async () => {
    const file = path.join(tmp(), 'one.jsonl');
    const appender = new FileAppender();
    await appender.append(file, 'first\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('first\n');
    await appender.close();
  });

  it('rejects a line that cannot be written with the system error, and goes on with the others', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'taken.jsonl'));
    const appender = new FileAppender();
    const bad = appender.append(path.join(dir, 'taken.jsonl'), 'x\n');
    const good = appender.append(path.join(dir, 'fine.jsonl'), 'y\n');
    await expect(bad).rejects.toMatchObject({ code: 'EISDIR' });
    await good;
    expect(fs.readFileSync(path.join(dir, 'fine.jsonl'), 'utf8')).toBe('y\n');
    await appender.close();
  });

  it('after close (or a dead thread) lines are appended from the event loop, none lost', async () => {
    const dir = tmp();
    const appender = new FileAppender();
    await appender.append(path.join(dir, 'a.jsonl'), '1\n');
    const racing = appender.append(path.join(dir, 'a.jsonl'), '2\n');
    await appender.close();
    await racing;
    await appender.append(path.join(dir, 'b', 'c.jsonl'), '3\n');
    expect(fs.readFileSync(path.join(dir, 'a.jsonl'), 'utf8')).toBe('1\n2\n');
    expect(fs.readFileSync(path.join(dir, 'b', 'c.jsonl'), 'utf8')).toBe('3\n');
  });

  it('a thread that dies mid-way: its unanswered lines and the later ones still reach their files', async () => {
    const dir = tmp();
    const appender = new FileAppender();
    await appender.append(path.join(dir, 'd.jsonl'), '1\n');
    const thread = (appender as unknown as { worker: import('node:worker_threads').Worker }).worker;
    const inFlight = appender.append(path.join(dir, 'd.jsonl'), '2\n');
    await thread.terminate();
    await inFlight;
    await appender.append(path.join(dir, 'd.jsonl'), '3\n');
    // '2' may have been written by the thread and again by the fallback: never lost, maybe twice.
    expect(fs.readFileSync(path.join(dir, 'd.jsonl'), 'utf8')).toMatch(/^1\n(2\n){1,2}3\n$/);
  });
});
