/**
 * `npm run bench [-- filter…]`: runs every `bench/*.bench.ts` module (or those whose name contains
 * one of the filters) in turn, prints one table and writes bench/results/latest.json with the
 * machine's facts. A failing module is reported and the others still run; the exit code is 1
 * only when every selected module failed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cleanupAll } from './lib/cleanup.js';
import type { BenchResult } from './lib/types.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** A module that takes longer than this is reported as failed (its cleanups still run at the end). */
const MODULE_TIMEOUT_MS = Number(process.env.BENCH_MODULE_TIMEOUT_MS ?? 240_000);

interface ModuleReport {
  module: string;
  ok: boolean;
  seconds: number;
  error?: string;
  results: BenchResult[];
}

function discover(filters: string[]): string[] {
  return fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => filters.length === 0 || filters.some((x) => f.toLowerCase().includes(x.toLowerCase())))
    .sort();
}

function isResult(r: unknown): r is BenchResult {
  const o = r as Record<string, unknown>;
  return Boolean(o) && typeof o.name === 'string' && typeof o.value === 'number' && typeof o.baseline === 'number';
}

async function runModule(file: string): Promise<ModuleReport> {
  const name = file.replace(/\.bench\.ts$/, '');
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const mod = (await import(pathToFileURL(path.join(BENCH_DIR, file)).href)) as { run?: () => Promise<unknown> };
    if (typeof mod.run !== 'function') throw new Error('exports no run()');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${MODULE_TIMEOUT_MS / 1000} s`)), MODULE_TIMEOUT_MS);
    });
    const out = await Promise.race([mod.run(), timeout]);
    if (!Array.isArray(out) || !out.every(isResult)) throw new Error('run() did not return BenchResult[]');
    return { module: name, ok: true, seconds: (performance.now() - started) / 1000, results: out };
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return { module: name, ok: false, seconds: (performance.now() - started) / 1000, error, results: [] };
  } finally {
    clearTimeout(timer);
  }
}

function fmt(n: number): string {
  if (typeof n !== 'number' || Number.isNaN(n)) return 'n/a';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const abs = Math.abs(n);
  if (abs >= 1000) return Math.round(n).toLocaleString('en-US');
  if (abs >= 100) return n.toFixed(1);
  if (abs >= 1) return n.toFixed(2);
  if (abs === 0) return '0';
  return n.toPrecision(3);
}

function table(reports: ModuleReport[]): string {
  const header = ['benchmark', 'baseline', 'value', 'unit', 'ratio', 'notes'];
  const rows: string[][] = [];
  for (const r of reports) {
    if (!r.ok) {
      rows.push([`${r.module} (FAILED)`, '', '', '', '', (r.error ?? '').split('\n')[0]!]);
      continue;
    }
    for (const x of r.results) rows.push([x.name, fmt(x.baseline), fmt(x.value), x.unit, fmt(x.ratio), x.notes]);
  }
  const widths = header.slice(0, 5).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 5 ? c : i === 0 || i === 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ') + '  -----';
  return [line(header), rule, ...rows.map(line)].join('\n');
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const files = discover(filters);
  if (files.length === 0) {
    console.error(`no benchmark matches ${filters.join(', ') || '(any)'} in ${BENCH_DIR}`);
    return 1;
  }
  const startedAt = new Date();
  const reports: ModuleReport[] = [];
  for (const file of files) {
    process.stderr.write(`bench: ${file} …\n`);
    const report = await runModule(file);
    reports.push(report);
    process.stderr.write(
      report.ok ? `bench: ${file} done in ${report.seconds.toFixed(1)} s\n` : `bench: ${file} FAILED after ${report.seconds.toFixed(1)} s\n${report.error}\n`,
    );
  }
  await cleanupAll();

  console.log('\n' + table(reports) + '\n');
  const cpus = os.cpus();
  const machine = {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    total_mem_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    date: startedAt.toISOString(),
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const out = path.join(RESULTS_DIR, 'latest.json');
  const payload = {
    machine,
    filters,
    total_seconds: (Date.now() - startedAt.getTime()) / 1000,
    modules: reports.map(({ module, ok, seconds, error }) => ({ module, ok, seconds: Math.round(seconds * 10) / 10, ...(error ? { error } : {}) })),
    results: reports.flatMap((r) => r.results.map((x) => ({ module: r.module, ...x }))),
  };
  // NaN/Infinity are not JSON: write them as null.
  fs.writeFileSync(out, JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  console.log(`machine: node ${machine.node}, ${machine.cpus} × ${machine.cpu_model}, ${machine.total_mem_gb} GB; results in ${path.relative(process.cwd(), out)}`);
  const failed = reports.filter((r) => !r.ok).length;
  if (failed) console.log(`${failed} of ${reports.length} modules failed: ${reports.filter((r) => !r.ok).map((r) => r.module).join(', ')}`);
  return failed === reports.length ? 1 : 0;
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write(`bench: ${signal}, cleaning up…\n`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

main()
  .then(async (code) => {
    await cleanupAll();
    // Stray handles (sockets, timers) of a failed module must not keep the runner alive.
    process.exit(code);
  })
  .catch(async (err: unknown) => {
    console.error(err);
    await cleanupAll();
    process.exit(1);
  });
