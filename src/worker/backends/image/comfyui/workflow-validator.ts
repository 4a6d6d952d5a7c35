/**
 * Checks an API-format graph the way ComfyUI's own `validate_prompt` would (classes, required
 * inputs, typed links, literal ranges and options) plus Isengard's own rules (one SaveImage, no
 * orphan nodes, every injection tag present), so a broken workflow file is refused at start-up
 * instead of failing the first user's job.
 */
import {
  MODEL_FILE_INPUTS,
  RUNTIME_INPUTS,
  TAGS,
  isLink,
  nodeTitle,
  parseWorkflowName,
  requiredTags,
  type InputSpec,
  type NodeDef,
  type ObjectInfo,
  type Workflow,
  type WorkflowNode,
} from './workflow-types.js';

export type ProblemCode =
  | 'not_a_graph'
  | 'unknown_class'
  | 'missing_input'
  | 'unknown_input'
  | 'bad_link'
  | 'link_type'
  | 'bad_type'
  | 'out_of_range'
  | 'not_in_options'
  | 'missing_model'
  | 'save_count'
  | 'orphan'
  | 'missing_tag'
  | 'duplicate_tag'
  | 'tag_class';

export interface WorkflowProblem {
  code: ProblemCode;
  file: string;
  nodeId?: string;
  classType?: string;
  input?: string;
  /** The offending literal, for not_in_options / missing_model. */
  value?: unknown;
  message: string;
}

export interface ValidateOptions {
  /** Shown in every message, e.g. `workflows/flux-dev.json`. */
  file: string;
  /** Which of the eight variants, for the tag check; defaults to the file's base name. */
  name?: string;
  /** Without it only the structural checks run (tags, SaveImage, orphans, link targets). */
  objectInfo?: ObjectInfo;
}

export function validateWorkflow(graph: unknown, opts: ValidateOptions): WorkflowProblem[] {
  const problems: WorkflowProblem[] = [];
  const add: Add = (code, detail, where = {}) => {
    const classType = where.node?.class_type;
    const at = [
      where.nodeId !== undefined ? `node ${where.nodeId}${classType ? ` (${classType})` : ''}` : '',
      where.input !== undefined ? `input '${where.input}'` : '',
    ]
      .filter(Boolean)
      .join(' ');
    problems.push({
      code,
      file: opts.file,
      nodeId: where.nodeId,
      classType,
      input: where.input,
      value: where.value,
      message: `${opts.file}: ${at ? at + ': ' : ''}${detail}`,
    });
  };

  if (!graph || typeof graph !== 'object' || Array.isArray(graph)) {
    add('not_a_graph', 'not an API-format workflow (expected an object of nodes keyed by id)');
    return problems;
  }
  const nodes = graph as Workflow;
  for (const [id, n] of Object.entries(nodes)) {
    if (!n || typeof n !== 'object' || typeof n.class_type !== 'string' || !n.inputs || typeof n.inputs !== 'object') {
      add('not_a_graph', 'not a node (needs class_type and inputs)', { nodeId: id });
      return problems;
    }
  }

  for (const [id, n] of Object.entries(nodes)) {
    for (const [input, value] of Object.entries(n.inputs)) {
      if (!isLink(value)) continue;
      const target = nodes[value[0]];
      if (!target) add('bad_link', `links to node ${value[0]}, which does not exist`, { nodeId: id, node: n, input });
    }
    if (opts.objectInfo) checkAgainstDefinition(id, n, nodes, opts.objectInfo, add);
  }

  const saves = Object.entries(nodes).filter(([, n]) => n.class_type === 'SaveImage');
  if (saves.length !== 1) add('save_count', `needs exactly one SaveImage node, found ${saves.length}`);
  if (saves.length >= 1) {
    const reached = ancestors(nodes, saves.map(([id]) => id));
    for (const [id, n] of Object.entries(nodes)) {
      if (!reached.has(id)) add('orphan', 'is not connected to SaveImage (orphan node)', { nodeId: id, node: n });
    }
  }

  checkTags(nodes, opts.name ?? opts.file, add);
  return problems;
}

type Add = (code: ProblemCode, detail: string, where?: { nodeId?: string; node?: WorkflowNode; input?: string; value?: unknown }) => void;

function checkAgainstDefinition(id: string, n: WorkflowNode, nodes: Workflow, info: ObjectInfo, add: Add): void {
  const def: NodeDef | undefined = info[n.class_type];
  if (!def) {
    add('unknown_class', `class '${n.class_type}' is not installed in ComfyUI`, { nodeId: id, node: n });
    return;
  }
  const required = def.input.required ?? {};
  const optional = def.input.optional ?? {};
  for (const name of Object.keys(required)) {
    if (!(name in n.inputs)) add('missing_input', 'required input is missing', { nodeId: id, node: n, input: name });
  }
  const runtime = RUNTIME_INPUTS.filter((r) => nodeTitle(n) === TAGS[r.tag].title).map((r) => r.input);
  for (const [name, value] of Object.entries(n.inputs)) {
    const spec = required[name] ?? optional[name];
    const where = { nodeId: id, node: n, input: name };
    if (!spec) {
      add('unknown_input', `'${n.class_type}' has no input '${name}'`, where);
      continue;
    }
    checkValue(value, spec, nodes, info, add, where, runtime.includes(name));
  }
}

function checkValue(
  value: unknown,
  spec: InputSpec,
  nodes: Workflow,
  info: ObjectInfo,
  add: Add,
  where: { nodeId: string; node: WorkflowNode; input: string },
  runtimeFilled: boolean,
): void {
  const [kind, rawOpts] = spec;
  const opts = (rawOpts && typeof rawOpts === 'object' ? rawOpts : {}) as Record<string, unknown>;
  const comboOptions = Array.isArray(kind) ? kind : kind === 'COMBO' ? (opts.options as unknown[] | undefined) ?? [] : null;
  const expected = comboOptions ? 'COMBO' : String(kind);

  if (isLink(value)) {
    const source = nodes[value[0]];
    if (!source) return; // reported structurally
    const outputs = info[source.class_type]?.output;
    if (!outputs) return; // unknown class reported on its own node
    const produced = outputs[value[1]];
    if (produced === undefined) {
      add('bad_link', `links to output ${value[1]} of node ${value[0]} (${source.class_type}), which has ${outputs.length} outputs`, where);
    } else if (!typesMatch(produced, expected)) {
      add('link_type', `expects ${expected} but node ${value[0]} (${source.class_type}) output ${value[1]} is ${produced}`, where);
    }
    return;
  }

  if (comboOptions) {
    if (runtimeFilled) return;
    if (!comboOptions.includes(value as never)) {
      const isModel = (MODEL_FILE_INPUTS[where.node.class_type] ?? []).includes(where.input);
      const shown = comboOptions.length > 8 ? `${comboOptions.slice(0, 8).map(String).join(', ')}, …` : comboOptions.map(String).join(', ');
      add(
        isModel ? 'missing_model' : 'not_in_options',
        isModel
          ? `model file ${JSON.stringify(value)} is not installed (available: [${shown}])`
          : `value ${JSON.stringify(value)} is not one of [${shown}]`,
        { ...where, value },
      );
    }
    return;
  }

  switch (expected) {
    case 'INT':
      if (!(typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value)))) {
        add('bad_type', `expects an integer, got ${describe(value)}`, where);
        return;
      }
      checkRange(BigInt(value), opts, add, where, toBigInt);
      return;
    case 'FLOAT':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        add('bad_type', `expects a number, got ${describe(value)}`, where);
        return;
      }
      checkRange(value, opts, add, where, (v) => Number(v));
      return;
    case 'STRING':
      if (typeof value !== 'string') add('bad_type', `expects a string, got ${describe(value)}`, where);
      return;
    case 'BOOLEAN':
      if (typeof value !== 'boolean') add('bad_type', `expects a boolean, got ${describe(value)}`, where);
      return;
    default:
      add('bad_type', `expects a link to a ${expected} output, got ${describe(value)}`, where);
  }
}

function checkRange<T extends number | bigint>(
  value: T,
  opts: Record<string, unknown>,
  add: Add,
  where: { nodeId: string; node: WorkflowNode; input: string },
  conv: (v: unknown) => T,
): void {
  // Integers compare as bigint so seeds near 2^64−1 are not rounded.
  if (opts.min !== undefined && value < conv(opts.min)) add('out_of_range', `${value} is below the minimum ${String(opts.min)}`, where);
  if (opts.max !== undefined && value > conv(opts.max)) add('out_of_range', `${value} is above the maximum ${String(opts.max)}`, where);
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  const n = Number(v);
  return BigInt(Number.isFinite(n) ? Math.trunc(n) : 0);
}

function typesMatch(produced: string, expected: string): boolean {
  if (produced === '*' || expected === '*') return true;
  const a = produced.split(',');
  const b = expected.split(',');
  return a.some((t) => b.includes(t));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${JSON.stringify(value)}`;
  return `${typeof value} ${typeof value === 'bigint' ? value.toString() : JSON.stringify(value)}`;
}

/** Every node some root depends on, roots included. */
function ancestors(nodes: Workflow, roots: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id) || !nodes[id]) continue;
    seen.add(id);
    for (const v of Object.values(nodes[id].inputs)) if (isLink(v)) stack.push(v[0]);
  }
  return seen;
}

function checkTags(nodes: Workflow, nameOrFile: string, add: Add): void {
  const base = nameOrFile.split(/[\\/]/).pop()!.replace(/\.json$/, '');
  const shape = parseWorkflowName(base);
  if (!shape) return; // not one of the eight names: only generic checks apply
  for (const key of requiredTags(shape)) {
    const tag = TAGS[key];
    const found = Object.entries(nodes).filter(([, n]) => nodeTitle(n) === tag.title);
    if (found.length === 0) {
      add('missing_tag', `no node carries the tag '${tag.title}' (expected on a ${tag.class} node)`);
      continue;
    }
    if (found.length > 1) add('duplicate_tag', `tag '${tag.title}' is on ${found.length} nodes (${found.map(([id]) => id).join(', ')})`);
    const [id, n] = found[0]!;
    if (n.class_type !== tag.class) add('tag_class', `tag '${tag.title}' must be on a ${tag.class} node`, { nodeId: id, node: n });
  }
}

/** Start-up helper: throws one error listing every problem. */
export function assertWorkflowValid(graph: unknown, opts: ValidateOptions): void {
  const problems = validateWorkflow(graph, opts);
  if (problems.length > 0) {
    throw new Error(`Invalid ComfyUI workflow ${opts.file}:\n  ${problems.map((p) => p.message).join('\n  ')}`);
  }
}
