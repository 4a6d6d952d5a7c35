/**
 * `./start.sh models`: every file of the models list that ComfyUI lacks is downloaded; files already
 * present (in any folder ComfyUI searches) are left alone. Free space for all of them is checked
 * before the first byte. One file failing does not stop the others (the ungated ones are useful
 * without HF_TOKEN); the exit code says whether everything is in place.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { findPresent, loadModelsManifest, targetPath, type ModelEntry } from '../../shared/node/models-manifest.js';
import { DownloadError, downloadModel, formatBytes, freeBytes, type DownloadProgress } from './download-model.js';

export interface FetchModelsOptions {
  comfyuiDir: string;
  manifestPath?: string;
  hfToken?: string;
  /** Where messages and progress go (stderr in the CLI). */
  write(text: string): void;
  /** Redraw progress on one line (a terminal) instead of printing every 10 %. */
  tty?: boolean;
  /** See DownloadOptions.idleTimeoutMs. */
  idleTimeoutMs?: number;
}

export interface FetchModelsSummary {
  present: string[];
  downloaded: string[];
  failed: Array<{ name: string; message: string }>;
  warnings: string[];
}

function progressPrinter(opts: FetchModelsOptions): (p: DownloadProgress) => void {
  let lastDecile = -1;
  let lastDraw = 0;
  const started = Date.now();
  let startBytes: number | null = null;
  return (p) => {
    startBytes ??= p.received;
    const pct = p.total ? (p.received / p.total) * 100 : null;
    const elapsed = (Date.now() - started) / 1000;
    const rate = elapsed > 0 ? (p.received - startBytes) / elapsed : 0;
    const text = `${p.name}: ${pct === null ? '' : `${pct.toFixed(1)}% `}${formatBytes(p.received)}${p.total ? ` of ${formatBytes(p.total)}` : ''}${rate > 0 ? `, ${formatBytes(rate)}/s` : ''}`;
    if (opts.tty) {
      if (Date.now() - lastDraw < 200 && p.received !== p.total) return;
      lastDraw = Date.now();
      opts.write(`\r\x1b[K${text}${p.received === p.total ? '\n' : ''}`);
      return;
    }
    const decile = pct === null ? Math.floor(p.received / 1e9) : Math.floor(pct / 10);
    if (decile > lastDecile) {
      lastDecile = decile;
      opts.write(`${text}\n`);
    }
  };
}

export async function fetchModels(opts: FetchModelsOptions): Promise<FetchModelsSummary> {
  const say = (line: string) => opts.write(`${line}\n`);
  const { path: listPath, models } = loadModelsManifest(opts.manifestPath);
  const summary: FetchModelsSummary = { present: [], downloaded: [], failed: [], warnings: [] };
  const missing: ModelEntry[] = [];
  for (const entry of models) {
    const found = findPresent(opts.comfyuiDir, entry);
    if (found) {
      summary.present.push(entry.name);
      say(`present: ${path.relative(opts.comfyuiDir, found.path)}`);
    } else {
      missing.push(entry);
    }
  }
  if (missing.length === 0) {
    say(`all ${models.length} model files of ${listPath} are in ${opts.comfyuiDir}`);
    return summary;
  }

  const modelsDir = path.join(opts.comfyuiDir, 'models');
  try {
    mkdirSync(modelsDir, { recursive: true });
  } catch (err) {
    summary.failed.push(...missing.map((m) => ({ name: m.name, message: `cannot create ${modelsDir}: ${(err as Error).message}` })));
    say(`FAILED: cannot create ${modelsDir} (set COMFYUI_DIR to your ComfyUI install): ${(err as Error).message}`);
    return summary;
  }
  const needed = missing.reduce((sum, m) => sum + (m.size ?? 0), 0);
  const free = freeBytes(modelsDir);
  if (needed > free) {
    const message = `not enough disk space in ${modelsDir}: the ${missing.length} missing files need ${formatBytes(needed)}, ${formatBytes(free)} free; nothing was downloaded`;
    say(`FAILED: ${message}`);
    summary.failed.push(...missing.map((m) => ({ name: m.name, message })));
    return summary;
  }
  say(`fetching ${missing.length} missing model file(s), ${formatBytes(needed)}, into ${modelsDir} (${formatBytes(free)} free)`);

  for (const entry of missing) {
    say(`downloading ${entry.name} → ${path.relative(opts.comfyuiDir, targetPath(opts.comfyuiDir, entry))}${entry.gated ? ' (gated: using HF_TOKEN)' : ''}`);
    try {
      const result = await downloadModel(entry, { comfyuiDir: opts.comfyuiDir, hfToken: opts.hfToken, log: say, onProgress: progressPrinter(opts), idleTimeoutMs: opts.idleTimeoutMs });
      if (opts.tty) opts.write('\r\x1b[K');
      summary.downloaded.push(entry.name);
      if (result.warning) {
        summary.warnings.push(result.warning);
        say(`WARNING: ${result.warning}`);
      }
      say(`ok: ${entry.name}${entry.sha256 ? ' (sha256 verified)' : ''}`);
    } catch (err) {
      if (opts.tty) opts.write('\n');
      const message = err instanceof DownloadError ? err.message : `unexpected error: ${(err as Error).message}`;
      summary.failed.push({ name: entry.name, message });
      say(`FAILED: ${message}`);
    }
  }
  say(`${summary.present.length} present, ${summary.downloaded.length} downloaded, ${summary.failed.length} failed`);
  return summary;
}
