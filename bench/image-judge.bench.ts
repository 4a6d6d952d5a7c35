/**
 * Judging an upload must stay linear and cheap whatever the file holds. A 2400×1800 JPEG padded
 * with 20 MB of `FF 00` pairs before EOI (once 3.6 s of per-byte awaits on the event loop for
 * 24 MB) is judged by `judgeImage`; the baseline is judging the same image without padding, in
 * the same run. A second row compares the padded judgement with a plain read of the same file
 * (the least any content check could cost). Also measured: the longest event-loop stall while
 * judging the padded file.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { judgeImage } from '../src/server/services/image-judge.js';
import { ratioOf, round, type BenchResult } from './lib/types.js';

const MB = 1024 * 1024;

async function best(fn: () => Promise<unknown>, rounds = 5): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

/** Longest gap between timer ticks while `fn` runs: how long the event loop was held at once. */
async function longestStall(fn: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return worst;
}

export async function run(): Promise<BenchResult[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-judge-'));
  try {
    const jpeg = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: '#5a8cc8' } }).jpeg({ quality: 90 }).toBuffer();
    const padded = Buffer.concat([jpeg.subarray(0, -2), Buffer.alloc(20 * MB, Buffer.from([0xff, 0x00])), Buffer.from([0xff, 0xd9])]);
    const plainFile = path.join(dir, 'plain.jpg');
    const paddedFile = path.join(dir, 'padded.jpg');
    fs.writeFileSync(plainFile, jpeg);
    fs.writeFileSync(paddedFile, padded);
    const judgePlain = () => judgeImage(plainFile, jpeg.length, false);
    const judgePadded = () => judgeImage(paddedFile, padded.length, false);
    await judgePlain();
    const verdict = await judgePadded(); // warm-up, and the verdict must be right
    if (!verdict.ok || verdict.imageBytes !== padded.length) throw new Error(`padded JPEG misjudged: ${JSON.stringify(verdict)}`);
    const plainMs = await best(judgePlain);
    const paddedMs = await best(judgePadded);
    const readMs = await best(() => fs.promises.readFile(paddedFile));
    const stallMs = await longestStall(judgePadded);
    return [
      {
        name: 'judge-padded-jpeg',
        baseline: round(plainMs, 1),
        value: round(paddedMs, 1),
        ratio: ratioOf(paddedMs, plainMs),
        unit: 'ms',
        notes: `judgeImage on a 2400x1800 JPEG with 20 MB of FF 00 before EOI vs the same JPEG without padding; longest event-loop stall ${round(stallMs, 1)} ms`,
      },
      {
        name: 'judge-padded-jpeg-vs-read',
        baseline: round(readMs, 1),
        value: round(paddedMs, 1),
        ratio: ratioOf(paddedMs, readMs),
        unit: 'ms',
        notes: 'the same judgement vs fs.readFile of the 20 MB file (a single linear pass)',
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
