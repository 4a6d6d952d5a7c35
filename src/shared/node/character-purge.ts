/**
 * Purging a person: everything made from a character's photos. The plan (also the preview the
 * SPA and CLI show) lists, with counts and bytes: photos and captions, dataset snapshots,
 * LoRAs and checkpoints trained on them, images generated with those LoRAs, evaluation grids of
 * their trainings (counted with the generated images), and the job logs
 * that get rewritten to ids and events only. The purge job executes it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { JobRecord, JobType } from '../jobs.js';
import type { CharacterStore } from './character-store.js';
import { JobArchive, jobArchiveDir } from './job-archive.js';
import { eachLine } from './jsonl-lines.js';
import type { JobStore } from './job-store.js';
import type { LoraStore } from './lora-store.js';
import type { VolumePaths } from './volume.js';

export interface PurgeItem {
  count: number;
  bytes: number;
}

export interface PurgePreview {
  character_id: string;
  character_name?: string;
  photos: PurgeItem;
  captions: PurgeItem;
  snapshots: PurgeItem;
  loras: PurgeItem;
  checkpoints: PurgeItem;
  samples: PurgeItem;
  generated_images: PurgeItem;
  job_logs: PurgeItem;
  /** Queued or running jobs that are cancelled first. */
  active_jobs: string[];
  /** Bytes freed, each file counted once however many hard links it has. */
  total_bytes: number;
}

export interface PurgePlan {
  preview: PurgePreview;
  trainingJobs: JobRecord[];
  generationJobs: JobRecord[];
  /** Evaluation grids of the person's trainings (issue #17): outputs, logs and records go like a generation's. */
  evaluationJobs: JobRecord[];
  /** Caption jobs on the person's photos: stopped first; their logs name only images, but are scrubbed alike. */
  captionJobs: JobRecord[];
  loraIds: string[];
  /** Files and folders to delete (folders recursively, never following symlinks). */
  paths: string[];
  logs: string[];
}

export interface PurgeDeps {
  paths: VolumePaths;
  store: JobStore;
  characters: CharacterStore;
  loras: LoraStore;
}

interface Scan {
  files: { path: string; size: number; key: string }[];
}

/** Regular files under `target` (lstat only: symlinks are counted as themselves, never followed). */
async function scan(target: string): Promise<Scan> {
  const files: Scan['files'] = [];
  const walk = async (p: string): Promise<void> => {
    const st = await fs.lstat(p).catch(() => null);
    if (!st) return;
    if (st.isDirectory()) {
      for (const entry of await fs.readdir(p)) await walk(path.join(p, entry));
      return;
    }
    files.push({ path: p, size: st.isFile() ? st.size : 0, key: `${st.dev}:${st.ino}` });
  };
  await walk(target);
  return { files };
}

const sum = (files: Scan['files']): PurgeItem => ({ count: files.length, bytes: files.reduce((n, f) => n + f.size, 0) });

/** Live records and those retention moved to the archive (a live record wins over an archived copy). */
async function allJobs(deps: PurgeDeps, type: JobType, characterId?: string): Promise<JobRecord[]> {
  const { store } = deps;
  const archived = await new JobArchive(jobArchiveDir(deps.paths)).list({ type, characterId }, null, Number.MAX_SAFE_INTEGER);
  const out: JobRecord[] = [];
  let cursor: string | number | null = 0;
  while (cursor !== null) {
    const page = await store.list({ type, characterId, limit: 100, cursor });
    out.push(...page.items);
    cursor = page.nextCursor;
  }
  const live = new Set(out.map((j) => j.id));
  return [...out, ...archived.items.filter((j) => !live.has(j.id))];
}

export async function planPurge(deps: PurgeDeps, characterId: string): Promise<PurgePlan> {
  const { paths, characters, loras } = deps;
  const character = await characters.get(characterId);
  const trainingJobs = await allJobs(deps, 'training', characterId);
  const trainingIds = new Set(trainingJobs.map((j) => j.id));
  const loraList = (await loras.list()).filter((l) => l.character_id === characterId || trainingIds.has(l.job_id));
  const loraIds = new Set(loraList.map((l) => l.id));
  for (const j of trainingJobs) if (j.result_lora_id) loraIds.add(j.result_lora_id);
  const generationJobs = (await allJobs(deps, 'generation')).filter((j) => j.lora_id && loraIds.has(j.lora_id));
  const evaluationJobs = (await allJobs(deps, 'evaluation')).filter((j) => j.character_id === characterId || (j.training_id && trainingIds.has(j.training_id)));
  const captionJobs = await allJobs(deps, 'caption', characterId);

  const imagesDir = characters.imagesDir(characterId);
  const characterFiles = (await scan(paths.characterDir(characterId))).files;
  const inImages = (f: { path: string }) => path.dirname(f.path) === imagesDir;
  const captions = characterFiles.filter((f) => inImages(f) && f.path.endsWith('.txt'));
  const photos = characterFiles.filter((f) => inImages(f) && !f.path.endsWith('.txt'));

  const snapshots: Scan['files'] = [];
  const checkpoints: Scan['files'] = [];
  const samples: Scan['files'] = [];
  const otherOutputs: Scan['files'] = [];
  for (const job of trainingJobs) {
    snapshots.push(...(await scan(paths.trainingDir(job.id))).files);
    for (const f of (await scan(paths.outputsDir(job.id))).files) {
      const name = path.basename(f.path);
      (name.startsWith('checkpoint_') ? checkpoints : name.startsWith('sample_') ? samples : otherOutputs).push(f);
    }
  }
  const loraFiles: Scan['files'] = [];
  for (const id of loraIds) {
    loraFiles.push(...(await scan(loras.filePath(id))).files);
    loraFiles.push(...(await scan(loras.filePath(id).replace(/\.safetensors$/, '.json'))).files);
  }
  const generated: Scan['files'] = [];
  for (const job of [...generationJobs, ...evaluationJobs]) generated.push(...(await scan(paths.outputsDir(job.id))).files);
  const logs: string[] = [];
  const logFiles: Scan['files'] = [];
  for (const job of [...trainingJobs, ...generationJobs, ...evaluationJobs, ...captionJobs]) {
    const found = (await scan(paths.jobLog(job.id))).files;
    logFiles.push(...found);
    logs.push(...found.map((f) => f.path));
  }

  const every = [...characterFiles, ...snapshots, ...checkpoints, ...samples, ...otherOutputs, ...loraFiles, ...generated];
  const unique = new Map(every.map((f) => [f.key, f.size]));
  const preview: PurgePreview = {
    character_id: characterId,
    ...(character ? { character_name: character.name } : {}),
    photos: sum(photos),
    captions: sum(captions),
    snapshots: { count: trainingJobs.filter((j) => snapshots.some((f) => f.path.startsWith(paths.trainingDir(j.id) + path.sep))).length, bytes: sum(snapshots).bytes },
    loras: { count: loraIds.size, bytes: sum(loraFiles).bytes },
    checkpoints: sum(checkpoints),
    samples: sum(samples),
    generated_images: sum(generated),
    job_logs: sum(logFiles),
    active_jobs: [...trainingJobs, ...generationJobs, ...evaluationJobs, ...captionJobs].filter((j) => j.status === 'queued' || j.status === 'running').map((j) => j.id),
    total_bytes: [...unique.values()].reduce((a, b) => a + b, 0),
  };
  const targets = [
    paths.characterDir(characterId),
    ...trainingJobs.flatMap((j) => [paths.trainingDir(j.id), paths.outputsDir(j.id)]),
    ...[...loraIds].flatMap((id) => [loras.filePath(id), loras.filePath(id).replace(/\.safetensors$/, '.json')]),
    ...[...generationJobs, ...evaluationJobs].map((j) => paths.outputsDir(j.id)),
  ];
  return { preview, trainingJobs, generationJobs, evaluationJobs, captionJobs, loraIds: [...loraIds], paths: targets, logs };
}

/** What a purged job's record keeps: ids, status, times; no config values, prompts or outputs. */
export function scrubRecord(record: JobRecord, at: string): JobRecord {
  const { sample_prompts: _p, message: _m, error: _e, ...rest } = record;
  return { ...rest, config: {}, outputs: [], purged_at: at };
}

const LOG_KEEP = ['ts', 'level', 'service', 'job_id', 'correlation_id', 'event'] as const;

/** Rewrites a JSONL job log to ids and events only (atomically: temp file + rename), streaming it. */
export async function scrubJobLog(file: string): Promise<number> {
  const out: string[] = [];
  try {
    await eachLine(file, (line) => {
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        const kept: Record<string, unknown> = {};
        for (const k of LOG_KEEP) if (rec[k] !== undefined) kept[k] = rec[k];
        out.push(JSON.stringify(kept));
      } catch {
        // An unreadable line may hold anything: it goes.
      }
    });
  } catch {
    return 0;
  }
  const tmp = `${file}.purge.tmp`;
  await fs.writeFile(tmp, out.length ? `${out.join('\n')}\n` : '');
  await fs.rename(tmp, file);
  return out.length;
}

export interface PurgeRunOptions {
  /** Asks a queued or running job to stop (the record flag + the worker's cancel message). */
  cancel(job: JobRecord): Promise<void>;
  /** Called with what was done, for the purge job's log. */
  note(message: string, event: string, fields?: Record<string, unknown>): void;
  signal?: AbortSignal;
  /** How long to wait for cancelled jobs to stop before purging anyway. */
  stopTimeoutMs?: number;
  /** Runs the archive rewrite while no prune appends to it (the job-history lock). */
  withHistoryLock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * Extra files made from the LoRAs and checkpoints outside the volume (ComfyUI's links), by LoRA
   * id and by training job id (an evaluation links each checkpoint it renders).
   */
  extraPaths?: (loraIds: string[], trainingIds: string[]) => string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cancels what still runs for the person, then deletes and scrubs everything the plan lists. */
export async function executePurge(deps: PurgeDeps, characterId: string, opts: PurgeRunOptions): Promise<PurgePreview> {
  const first = await planPurge(deps, characterId);
  const active = [...first.trainingJobs, ...first.generationJobs, ...first.evaluationJobs, ...first.captionJobs].filter((j) => j.status === 'queued' || j.status === 'running');
  for (const job of active) {
    await opts.cancel(job);
    opts.note(`Cancelled ${job.id} before purging`, 'purge.cancel', { job_id: job.id });
  }
  const deadline = Date.now() + (opts.stopTimeoutMs ?? 60_000);
  for (const job of active) {
    while (Date.now() < deadline && !opts.signal?.aborted) {
      const r = await deps.store.get(job.id);
      if (!r || r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled') break;
      await sleep(200);
    }
  }
  if (opts.signal?.aborted) throw new Error('Purge cancelled before deleting anything');
  // Jobs that stopped may have written more files: plan again.
  const plan = await planPurge(deps, characterId);
  const extra = opts.extraPaths?.(plan.loraIds, plan.trainingJobs.map((j) => j.id)) ?? [];
  for (const target of [...plan.paths, ...extra]) {
    await fs.rm(target, { recursive: true, force: true });
  }
  opts.note(`Deleted ${plan.paths.length} files and folders`, 'purge.deleted', { ...countsOf(plan.preview) });
  let lines = 0;
  for (const log of plan.logs) lines += await scrubJobLog(log);
  opts.note(`Rewrote ${plan.logs.length} job logs to ids and events`, 'purge.logs', { logs: plan.logs.length, lines });
  const at = new Date().toISOString();
  const jobs = [...plan.trainingJobs, ...plan.generationJobs, ...plan.evaluationJobs, ...plan.captionJobs];
  for (const job of jobs) if (!job.archived) await deps.store.amend(job.id, (r) => scrubRecord(r, at));
  const archive = new JobArchive(jobArchiveDir(deps.paths));
  const rewriteArchive = () => archive.rewrite(new Set(jobs.map((j) => j.id)), (r) => scrubRecord(r, at));
  const archived = await (opts.withHistoryLock ? opts.withHistoryLock(rewriteArchive) : rewriteArchive());
  opts.note(`Scrubbed ${archived} archived job records`, 'purge.archive', { records: archived });
  opts.note(`Scrubbed ${jobs.length} job records`, 'purge.records', {
    training_jobs: plan.trainingJobs.map((j) => j.id),
    generation_jobs: plan.generationJobs.map((j) => j.id),
    evaluation_jobs: plan.evaluationJobs.map((j) => j.id),
    caption_jobs: plan.captionJobs.map((j) => j.id),
    lora_ids: plan.loraIds,
  });
  return plan.preview;
}

/** Counts and bytes only: what a log may say about a purge. */
export function countsOf(p: PurgePreview): Record<string, number> {
  const out: Record<string, number> = { total_bytes: p.total_bytes };
  for (const key of ['photos', 'captions', 'snapshots', 'loras', 'checkpoints', 'samples', 'generated_images', 'job_logs'] as const) {
    out[key] = p[key].count;
    out[`${key}_bytes`] = p[key].bytes;
  }
  return out;
}
