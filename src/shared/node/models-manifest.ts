/**
 * The list of ComfyUI model files the workflows need (`workflows/models.json`, or the file named by
 * ISENGARD_MODELS_MANIFEST), and where on disk ComfyUI would find each one. Used by the downloader
 * (`./start.sh models`) and by the readiness doctor.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const SHA256 = /^[0-9a-f]{64}$/;
const FOLDER = /^[a-z0-9_]+$/;

export const modelEntrySchema = z.object({
  name: z.string().regex(/^[^/\\]+$/, 'must be a bare file name'),
  /** Under COMFYUI_DIR/models; downloads go here. */
  folder: z.string().regex(FOLDER),
  /** Other folders ComfyUI searches for this kind (a file there counts as present). */
  also_in: z.array(z.string().regex(FOLDER)).default([]),
  url: z.string().refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL'),
  /** null: no checksum known; the size is checked and a warning printed. */
  sha256: z.string().regex(SHA256, 'must be 64 lowercase hex digits').nullable(),
  size: z.number().int().positive().nullable(),
  gated: z.boolean().default(false),
  licence_url: z.string().optional(),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

const manifestSchema = z.object({ about: z.string().optional(), models: z.array(modelEntrySchema).min(1) });

export class ModelsManifestError extends Error {}

/** The repo's `workflows/models.json`, found from this file up (source or dist). */
export function defaultManifestPath(start = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'workflows', 'models.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new ModelsManifestError(`No workflows/models.json above ${start}`);
  }
}

export function loadModelsManifest(file?: string): { path: string; models: ModelEntry[] } {
  const where = file ? path.resolve(file) : defaultManifestPath();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(where, 'utf8'));
  } catch (err) {
    throw new ModelsManifestError(`Cannot read the models list ${where}: ${(err as Error).message}`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelsManifestError(`Models list ${where} is invalid at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { path: where, models: parsed.data.models };
}

/** The folder a download goes to. */
export function targetPath(comfyuiDir: string, entry: ModelEntry): string {
  return path.join(comfyuiDir, 'models', entry.folder, entry.name);
}

/** Where ComfyUI would load the file from, or null when no accepted folder has it. */
export function findPresent(comfyuiDir: string, entry: ModelEntry): { path: string; size: number } | null {
  for (const folder of [entry.folder, ...entry.also_in]) {
    const file = path.join(comfyuiDir, 'models', folder, entry.name);
    try {
      const st = statSync(file); // follows symlinks, like ComfyUI's os.path.isfile
      if (st.isFile()) return { path: file, size: st.size };
    } catch {
      // not there
    }
  }
  return null;
}
