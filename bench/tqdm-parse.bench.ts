/**
 * Trainer output parsing throughput: the streaming splitter + tqdm parser of the ai-toolkit
 * backend against a bare `split(/[\r\n]/)` + one regex per line over the same text, in the same run.
 * The baseline gets the whole text as one string (no chunking, no UTF-8 decoding, no field
 * conversion), so it is an upper bound on what parsing could cost less.
 */
import { performance } from 'node:perf_hooks';
import { LineSplitter, parseTqdmLine } from '../src/worker/backends/training/ai-toolkit/tqdm-parser.js';

const NAME = 'zxq_person';
const CHUNK = 64 * 1024; // a Linux pipe's capacity: what one `data` event carries at most

function bar(step: number, total: number): string {
  const frac = step / total;
  const full = Math.floor(frac * 10);
  const body = '█'.repeat(full) + (full < 10 ? '▌' + ' '.repeat(9 - full) : '');
  const loss = (0.08 + 0.5 * Math.exp((-3 * step) / total)).toExponential(3).replace(/e([-+])(\d)$/, 'e$10$2');
  return `\r${NAME}: ${String(Math.round(frac * 100)).padStart(3)}%|${body}| ${step}/${total} [05:12<06:21,  1.44it/s, lr: 1.0e-04 loss: ${loss}]`;
}

/** What ai-toolkit writes: tqdm redraws separated by `\r`, with a log line now and then. */
function trainerOutput(lines: number): string {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    parts.push(i % 250 === 0 ? `\nSaving at step ${i}\n` : bar(i, lines));
  }
  return parts.join('') + '\n';
}

function ours(chunks: Buffer[]): number {
  let parsed = 0;
  const splitter = new LineSplitter((line) => {
    if (parseTqdmLine(line)) parsed++;
  });
  for (const c of chunks) splitter.push(c);
  splitter.end();
  return parsed;
}

const NAIVE = /(\d+)%\|.*\| (\d+)\/(\d+) \[(.*?)<(.*?), (.*?)(?:it\/s|s\/it)(.*)\]/;
function baseline(text: string): number {
  let parsed = 0;
  for (const line of text.split(/[\r\n]/)) if (NAIVE.exec(line)) parsed++;
  return parsed;
}

function linesPerSecond(fn: () => number, lines: number, rounds = 5): { rate: number; matched: number } {
  let best = Infinity;
  let matched = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    matched = fn();
    best = Math.min(best, performance.now() - t0);
  }
  return { rate: lines / (best / 1000), matched };
}

export async function run(): Promise<{ name: string; baseline: number; value: number; ratio: number; unit: string; notes: string }[]> {
  const lines = 200_000;
  const text = trainerOutput(lines);
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK) chunks.push(bytes.subarray(i, i + CHUNK));
  ours(chunks.slice(0, 4)); // warm-up so both sides run JIT-compiled code
  baseline(text.slice(0, 100_000));
  const base = linesPerSecond(() => baseline(text), lines);
  const mine = linesPerSecond(() => ours(chunks), lines);
  return [
    {
      name: 'tqdm-parse',
      baseline: Math.round(base.rate),
      value: Math.round(mine.rate),
      ratio: Number((mine.rate / base.rate).toFixed(3)),
      unit: 'lines/s',
      notes:
        `${lines} lines, ${(bytes.length / 1e6).toFixed(1)} MB in ${CHUNK / 1024} KiB chunks; ` +
        `parsed ${mine.matched} bars (baseline matched ${base.matched}); baseline = split(/[\\r\\n]/) + one regex on a single string`,
    },
  ];
}
