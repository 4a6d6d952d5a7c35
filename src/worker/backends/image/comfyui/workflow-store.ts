/**
 * Loads the eight workflow files and checks them. Structural problems (tags, orphans, SaveImage,
 * dangling links) and definition problems against a live `/object_info` refuse start-up; a model
 * file missing on the pod is only reported, since ComfyUI may still be downloading it and the
 * other variants keep working.
 */
import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJsonBig } from './json-bigint.js';
import { validateWorkflow, type WorkflowProblem } from './workflow-validator.js';
import { WORKFLOW_NAMES, type ObjectInfo, type Workflow, type WorkflowName } from './workflow-types.js';

/** Walks up from this module to the repo's `workflows/` (works from src/ under tsx and from dist/). */
export function findWorkflowsDir(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, 'workflows');
    if (existsSync(path.join(candidate, 'flux-dev.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No workflows/ directory with flux-dev.json above ${start}`);
    dir = parent;
  }
}

export type WorkflowSet = ReadonlyMap<WorkflowName, Workflow>;

export async function loadWorkflows(dir: string): Promise<WorkflowSet> {
  const set = new Map<WorkflowName, Workflow>();
  for (const name of WORKFLOW_NAMES) {
    const file = path.join(dir, `${name}.json`);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`ComfyUI workflow ${file} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    let graph: unknown;
    try {
      graph = parseJsonBig(text);
    } catch (err) {
      throw new Error(`ComfyUI workflow ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    set.set(name, graph as Workflow);
  }
  return set;
}

export interface CheckResult {
  /** Problems that make a file unusable. */
  errors: WorkflowProblem[];
  /** Model files referenced by a workflow but not installed in this ComfyUI. */
  missingModels: WorkflowProblem[];
}

export function checkWorkflows(set: WorkflowSet, dir: string, objectInfo?: ObjectInfo): CheckResult {
  const result: CheckResult = { errors: [], missingModels: [] };
  for (const [name, graph] of set) {
    for (const p of validateWorkflow(graph, { file: path.join(dir, `${name}.json`), name, objectInfo })) {
      (p.code === 'missing_model' ? result.missingModels : result.errors).push(p);
    }
  }
  return result;
}

export function formatProblems(problems: WorkflowProblem[]): string {
  return problems.map((p) => `  ${p.message}`).join('\n');
}
