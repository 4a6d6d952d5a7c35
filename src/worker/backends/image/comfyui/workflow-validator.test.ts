import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJsonBig } from './json-bigint.js';
import { buildWorkflow } from './workflow-build.js';
import { assertWorkflowValid, validateWorkflow, type ProblemCode } from './workflow-validator.js';
import type { ObjectInfo, Workflow, WorkflowName } from './workflow-types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const objectInfo = parseJsonBig(
  fs.readFileSync(path.join(repoRoot, 'tests/fixtures/comfyui/object_info.json'), 'utf8'),
) as ObjectInfo;

function broken(name: WorkflowName, mutate: (g: Workflow) => void) {
  const g = buildWorkflow(name);
  mutate(g);
  return validateWorkflow(g, { file: `workflows/${name}.json`, objectInfo });
}
const codes = (problems: { code: ProblemCode }[]) => problems.map((p) => p.code);

describe('validateWorkflow', () => {
  it('accepts a built graph (the baseline the broken cases start from)', () => {
    expect(broken('flux-dev-lora-upscale', () => {})).toEqual([]);
  });

  it('rejects an unknown class, naming file, node and class', () => {
    const p = broken('flux-dev', (g) => (g['8']!.class_type = 'CFGGuider9000'));
    expect(codes(p)).toContain('unknown_class');
    expect(p.find((x) => x.code === 'unknown_class')!.message).toBe(
      "workflows/flux-dev.json: node 8 (CFGGuider9000): class 'CFGGuider9000' is not installed in ComfyUI",
    );
  });

  it('rejects a missing required input and accepts a missing optional one', () => {
    const p = broken('flux-dev', (g) => delete g['10']!.inputs.denoise);
    expect(p.map((x) => x.message)).toEqual([
      "workflows/flux-dev.json: node 10 (BasicScheduler) input 'denoise': required input is missing",
    ]);
    // DualCLIPLoader.device is optional in the fixture; the built graph omits it.
    expect(broken('flux-dev', (g) => (g['2']!.inputs.device = 'cpu'))).toEqual([]);
  });

  it('rejects a link to a missing node and to a missing output index', () => {
    expect(codes(broken('flux-dev', (g) => (g['13']!.inputs.noise = ['99', 0])))).toContain('bad_link');
    const p = broken('flux-dev', (g) => (g['14']!.inputs.vae = ['3', 2]));
    expect(p[0]!.message).toMatch(/node 14 \(VAEDecode\) input 'vae': links to output 2 of node 3 \(VAELoader\)/);
  });

  it('rejects a link of the wrong type', () => {
    const p = broken('flux-dev', (g) => (g['14']!.inputs.vae = ['1', 0]));
    // Rewiring also orphans the VAELoader; both are reported.
    expect(p.map((x) => x.message)).toEqual([
      "workflows/flux-dev.json: node 14 (VAEDecode) input 'vae': expects VAE but node 1 (UNETLoader) output 0 is MODEL",
      'workflows/flux-dev.json: node 3 (VAELoader): is not connected to SaveImage (orphan node)',
    ]);
    // output[1] of SamplerCustomAdvanced is LATENT too: index matters, not only the node.
    expect(broken('flux-dev', (g) => (g['14']!.inputs.samples = ['13', 1]))).toEqual([]);
  });

  it('rejects values out of range, with seeds compared exactly up to 2^64-1', () => {
    expect(codes(broken('flux-dev', (g) => (g['10']!.inputs.steps = 0)))).toEqual(['out_of_range']);
    expect(codes(broken('flux-dev', (g) => (g['5']!.inputs.guidance = 100.5)))).toEqual(['out_of_range']);
    expect(broken('flux-dev', (g) => (g['11']!.inputs.noise_seed = 18446744073709551615n))).toEqual([]);
    const over = broken('flux-dev', (g) => (g['11']!.inputs.noise_seed = 18446744073709551616n));
    expect(over.map((x) => x.message)).toEqual([
      "workflows/flux-dev.json: node 11 (RandomNoise) input 'noise_seed': 18446744073709551616 is above the maximum 18446744073709551615",
    ]);
  });

  it('rejects wrong literal types', () => {
    expect(codes(broken('flux-dev', (g) => (g['10']!.inputs.steps = 4.5)))).toEqual(['bad_type']);
    expect(codes(broken('flux-dev', (g) => (g['10']!.inputs.steps = '20')))).toEqual(['bad_type']);
    expect(codes(broken('flux-dev', (g) => (g['4']!.inputs.text = 42)))).toEqual(['bad_type']);
    expect(codes(broken('flux-dev', (g) => (g['5']!.inputs.guidance = '3.5')))).toEqual(['bad_type']);
    expect(codes(broken('flux-dev', (g) => (g['13']!.inputs.noise = 7)))).toEqual(['bad_type', 'orphan']);
  });

  it('rejects values not in options, for both combo shapes', () => {
    // schema-v3 shape: ["COMBO", {options}]
    const v3 = broken('flux-dev', (g) => (g['9']!.inputs.sampler_name = 'eulerx'));
    expect(v3[0]!.message).toMatch(/node 9 \(KSamplerSelect\) input 'sampler_name': value "eulerx" is not one of \[euler,/);
    // classic shape: [[...], {...}]
    expect(codes(broken('flux-dev', (g) => (g['2']!.inputs.type = 'fluxx')))).toEqual(['not_in_options']);
    // a model file the pod lacks is classed separately (reported, not fatal, at start-up)
    const model = broken('flux-dev', (g) => (g['3']!.inputs.vae_name = 'other.safetensors'));
    expect(codes(model)).toEqual(['missing_model']);
  });

  it('does not check lora_name against the (empty) lora list: it is linked in at job time', () => {
    expect(broken('flux-schnell-lora', () => {})).toEqual([]);
    const untagged = broken('flux-schnell-lora', (g) => (g['6']!._meta = { title: 'x' }));
    expect(codes(untagged)).toEqual(expect.arrayContaining(['not_in_options', 'missing_tag']));
  });

  it('rejects two SaveImage nodes and zero', () => {
    const two = broken('flux-dev', (g) => (g['18'] = { class_type: 'SaveImage', inputs: { images: ['14', 0], filename_prefix: 'b' } }));
    expect(codes(two)).toEqual(['save_count']);
    expect(codes(broken('flux-dev', (g) => delete g['17']))).toContain('save_count');
  });

  it('rejects an orphan node', () => {
    const p = broken('flux-dev', (g) => (g['20'] = { class_type: 'VAELoader', inputs: { vae_name: 'ae.safetensors' } }));
    expect(p.map((x) => x.message)).toEqual(['workflows/flux-dev.json: node 20 (VAELoader): is not connected to SaveImage (orphan node)']);
  });

  it('rejects a missing tag, a duplicated tag and a tag on the wrong class', () => {
    const missing = broken('flux-dev-upscale', (g) => (g['15']!._meta = { title: 'Load upscaler' }));
    expect(missing.map((x) => x.message)).toEqual([
      "workflows/flux-dev-upscale.json: no node carries the tag 'isengard:upscale_model' (expected on a UpscaleModelLoader node)",
    ]);
    expect(codes(broken('flux-dev', (g) => (g['7']!._meta = { title: 'x' })))).toEqual(['missing_tag']);
    expect(codes(broken('flux-dev', (g) => (g['14']!._meta = { title: 'isengard:prompt' })))).toEqual(['duplicate_tag']);
    expect(codes(broken('flux-dev', (g) => (g['8']!._meta = { title: 'isengard:guidance' }, delete g['5']!._meta)))).toEqual(['tag_class']);
  });

  it('runs structural checks without object_info, and rejects non-graphs', () => {
    const g = buildWorkflow('flux-dev');
    g['8']!.class_type = 'Whatever';
    expect(validateWorkflow(g, { file: 'f.json', name: 'flux-dev' })).toEqual([]);
    expect(codes(validateWorkflow([1, 2], { file: 'f.json' }))).toEqual(['not_a_graph']);
    expect(codes(validateWorkflow({ 1: { inputs: {} } }, { file: 'f.json' }))).toEqual(['not_a_graph']);
  });

  it('assertWorkflowValid throws with every problem listed', () => {
    const g = buildWorkflow('flux-schnell');
    delete g['10']!.inputs.steps;
    expect(() => assertWorkflowValid(g, { file: 'workflows/flux-schnell.json', objectInfo })).toThrow(
      "Invalid ComfyUI workflow workflows/flux-schnell.json:\n  workflows/flux-schnell.json: node 10 (BasicScheduler) input 'steps': required input is missing",
    );
    expect(() => assertWorkflowValid(buildWorkflow('flux-schnell'), { file: 'workflows/flux-schnell.json', objectInfo })).not.toThrow();
  });
});
