/** The original design's workflow tests, ported, plus validation of every committed file against the fixture. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseJsonBig } from './json-bigint.js';
import { validateWorkflow } from './workflow-validator.js';
import { selectWorkflow } from './workflow-select.js';
import { isLink, WORKFLOW_NAMES, type ObjectInfo, type Workflow } from './workflow-types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const workflowsDir = path.join(repoRoot, 'workflows');
const objectInfo = parseJsonBig(
  fs.readFileSync(path.join(repoRoot, 'tests/fixtures/comfyui/object_info.json'), 'utf8'),
) as ObjectInfo;
const load = (name: string) => parseJsonBig(fs.readFileSync(path.join(workflowsDir, `${name}.json`), 'utf8')) as Workflow;

describe('workflow files', () => {
  it('all eight variants exist', () => {
    for (const name of WORKFLOW_NAMES) expect(fs.existsSync(path.join(workflowsDir, `${name}.json`)), name).toBe(true);
  });

  it.each(WORKFLOW_NAMES)('%s validates cleanly against the fixture object_info', (name) => {
    const problems = validateWorkflow(load(name), { file: `workflows/${name}.json`, objectInfo });
    expect(problems.map((p) => p.message)).toEqual([]);
  });

  it.each(WORKFLOW_NAMES.filter((n) => n.endsWith('-upscale')))('%s has the upscale tail connected to SaveImage', (name) => {
    const g = load(name);
    const byClass = (c: string) => Object.entries(g).filter(([, n]) => n.class_type === c);
    const [loader] = byClass('UpscaleModelLoader');
    const [upscale] = byClass('ImageUpscaleWithModel');
    const [save] = byClass('SaveImage');
    const [decode] = byClass('VAEDecode');
    expect(loader && upscale && save && decode).toBeTruthy();
    expect(loader![1].inputs.model_name).toBe('RealESRGAN_x2plus.pth');
    expect(upscale![1].inputs.upscale_model).toEqual([loader![0], 0]);
    expect(upscale![1].inputs.image).toEqual([decode![0], 0]);
    expect(save![1].inputs.images).toEqual([upscale![0], 0]);
  });

  it.each(WORKFLOW_NAMES.filter((n) => !n.endsWith('-upscale')))('%s saves the decoded image directly', (name) => {
    const g = load(name);
    expect(Object.values(g).some((n) => n.class_type.includes('Upscale'))).toBe(false);
    const save = Object.values(g).find((n) => n.class_type === 'SaveImage')!;
    const src = save.inputs.images;
    expect(isLink(src) && g[src[0]]!.class_type).toBe('VAEDecode');
  });

  it.each(WORKFLOW_NAMES)('%s follows the FLUX shape of its variant', (name) => {
    const g = load(name);
    const classes = Object.values(g).map((n) => n.class_type);
    const dev = name.includes('-dev');
    expect(classes.includes('FluxGuidance')).toBe(dev);
    expect(classes.includes('ModelSamplingFlux')).toBe(dev);
    expect(classes.includes('LoraLoaderModelOnly')).toBe(name.includes('-lora'));
    expect(classes).not.toContain('KSampler');
    const unet = Object.values(g).find((n) => n.class_type === 'UNETLoader')!;
    expect(unet.inputs.unet_name).toBe(dev ? 'flux1-dev.safetensors' : 'flux1-schnell.safetensors');
    expect(Object.values(g).find((n) => n.class_type === 'DualCLIPLoader')!.inputs.type).toBe('flux');
    const guider = Object.values(g).find((n) => n.class_type === 'BasicGuider')!;
    const cond = guider.inputs.conditioning as [string, number];
    expect(g[cond[0]]!.class_type).toBe(dev ? 'FluxGuidance' : 'CLIPTextEncode');
    const steps = Object.values(g).find((n) => n.class_type === 'BasicScheduler')!.inputs.steps;
    expect(steps).toBe(dev ? 20 : 4);
  });
});

describe('selectWorkflow', () => {
  const table: Array<[string, boolean, boolean, string]> = [
    ['flux-dev', false, false, 'flux-dev'],
    ['flux-dev', true, false, 'flux-dev-upscale'],
    ['flux-dev', false, true, 'flux-dev-lora'],
    ['flux-dev', true, true, 'flux-dev-lora-upscale'],
    ['flux-schnell', false, false, 'flux-schnell'],
    ['flux-schnell', true, false, 'flux-schnell-upscale'],
    ['flux-schnell', false, true, 'flux-schnell-lora'],
    ['flux-schnell', true, true, 'flux-schnell-lora-upscale'],
  ];
  it.each(table)('%s upscale=%s lora=%s → %s', (variant, upscale, lora, expected) => {
    expect(selectWorkflow({ model_variant: variant, use_upscale: upscale, hasLora: lora })).toBe(expected);
    // Deterministic: the same input always picks the same file, which exists.
    expect(selectWorkflow({ model_variant: variant, use_upscale: upscale, hasLora: lora })).toBe(expected);
    expect(fs.existsSync(path.join(workflowsDir, `${expected}.json`))).toBe(true);
  });

  it('defaults to flux-dev and rejects unknown variants', () => {
    expect(selectWorkflow({ hasLora: false })).toBe('flux-dev');
    expect(() => selectWorkflow({ model_variant: 'sdxl', hasLora: false })).toThrow(/Unknown model_variant 'sdxl'/);
  });
});
