/**
 * The real caption script (python/florence2_caption.py) without a model: its arguments and its
 * JSON-lines protocol with a stub model, its stdout kept clean of library output, and its use of
 * torch/transformers checked against the Florence-2-large model card with stand-in modules.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stack.js';

const SCRIPT_DIR = path.join(REPO, 'python');
const SCRIPT = path.join(SCRIPT_DIR, 'florence2_caption.py');
const MODEL_CARD_CHECK = path.join(REPO, 'tests', 'fakes', 'fake-florence2', 'model_card_check.py');

/** A stub model: captions name the file; a path with "broken" raises, one with "blank" gives no text. */
const STUB = `
import sys
sys.path.insert(0, ${JSON.stringify(SCRIPT_DIR)})
import florence2_caption as f
class Stub:
    device, dtype_name, revision = "cpu", "float32", "stubrev"
    def __init__(self, args):
        print("stub model loading: library chatter on stdout")
        sys.stderr.write("loaded %s beams=%d max=%d\\n" % (args.model, args.num_beams, args.max_new_tokens))
    def caption(self, path, task):
        if "broken" in path: raise OSError("cannot identify image file %r\\nsecond line" % path)
        if "blank" in path: return "  "
        return "%s of %s" % (task, path.rsplit("/", 1)[-1])
    def close(self):
        sys.stderr.write("closed\\n")
f.Florence2Captioner = Stub
f.main()
`;

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
  stdout: string;
  stderr: string;
}

function python(args: string[], stdin: string | null): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', args, { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // Every stdout line must be a protocol object: JSON.parse throws on anything else.
      const lines = stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, lines, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

const request = (images: { name: string; path: string }[], task = '<CAPTION>') => JSON.stringify({ images, task }) + '\n';
const stub = (stdin: string | null, args: string[] = []) => python(['-c', STUB, ...args], stdin);

describe('florence2_caption.py protocol (stub model)', () => {
  it('loads, answers each image in order, reports per-image errors without stopping, frees the model, ends with done', async () => {
    const run = await stub(
      request([
        { name: 'img-a.jpg', path: '/d/img-a.jpg' },
        { name: 'img-b.jpg', path: '/d/broken.jpg' },
        { name: 'img-c.jpg', path: '/d/blank.jpg' },
        { name: 'img-d.jpg', path: '/d/img-d.jpg' },
      ], '<DETAILED_CAPTION>'),
      ['--num-beams', '5'],
    );
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      { type: 'progress', stage: 'loading', model: 'microsoft/Florence-2-large' },
      { type: 'ready', model: 'microsoft/Florence-2-large', revision: 'stubrev', device: 'cpu', dtype: 'float32' },
      { type: 'progress', stage: 'captioning', index: 0, total: 4, name: 'img-a.jpg' },
      { type: 'caption', index: 0, name: 'img-a.jpg', text: '<DETAILED_CAPTION> of img-a.jpg' },
      { type: 'progress', stage: 'captioning', index: 1, total: 4, name: 'img-b.jpg' },
      { type: 'error', index: 1, name: 'img-b.jpg', message: "OSError: cannot identify image file '/d/broken.jpg'" },
      { type: 'progress', stage: 'captioning', index: 2, total: 4, name: 'img-c.jpg' },
      { type: 'error', index: 2, name: 'img-c.jpg', message: 'the model returned an empty caption' },
      { type: 'progress', stage: 'captioning', index: 3, total: 4, name: 'img-d.jpg' },
      { type: 'caption', index: 3, name: 'img-d.jpg', text: '<DETAILED_CAPTION> of img-d.jpg' },
      { type: 'done', captioned: 2, failed: 2 },
    ]);
    // Library output went to stderr, not between the protocol lines; arguments reached the model.
    expect(run.stderr).toContain('stub model loading: library chatter on stdout');
    expect(run.stderr).toContain('loaded microsoft/Florence-2-large beams=5 max=1024');
    expect(run.stderr.trim().split('\n').at(-1)).toBe('closed');
  });

  it('an empty image list is done at once, without loading the model', async () => {
    const run = await stub(request([]));
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([{ type: 'done', captioned: 0, failed: 0 }]);
    expect(run.stderr).not.toContain('loaded');
  });

  it.each([
    ['no request', null, 'no request on stdin (expected one JSON line)'],
    ['not JSON', '{"images": [\n', 'the request is not JSON'],
    ['not an object', '[1, 2]\n', 'the request must be a JSON object'],
    ['an unknown task', request([], '<OD>'), 'task must be one of <CAPTION>, <DETAILED_CAPTION>, not "<OD>"'],
    ['images not a list', JSON.stringify({ images: 'a.jpg', task: '<CAPTION>' }) + '\n', 'images must be a list of at most 10000 {name, path} objects'],
    ['an image without a path', JSON.stringify({ images: [{ name: 'a' }], task: '<CAPTION>' }) + '\n', 'images[0] must be an object with string name and path'],
  ])('refuses %s with one fatal line and exit 2', async (_what, stdin, message) => {
    const run = await stub(stdin);
    expect(run.code).toBe(2);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ type: 'error', fatal: true });
    expect(String(run.lines[0]!.message)).toContain(message);
  });

  it('refuses unknown or bad arguments with exit 2', async () => {
    for (const args of [['--bogus'], ['--num-beams', 'three'], ['--max-new-tokens', '0']]) {
      const run = await stub(request([{ name: 'a', path: '/a' }]), args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.lines, args.join(' ')).toEqual([{ type: 'error', fatal: true, message: expect.stringMatching(/^bad arguments: /) }]);
    }
  });
});

describe('florence2_caption.py as the worker runs it', () => {
  it('with a python lacking torch: one fatal line naming the problem, exit 3, nothing else on stdout', async () => {
    const run = await python([SCRIPT, '--model', 'microsoft/Florence-2-large'], request([{ name: 'a.jpg', path: '/a.jpg' }]));
    expect(run.code).toBe(3);
    expect(run.lines).toEqual([
      { type: 'progress', stage: 'loading', model: 'microsoft/Florence-2-large' },
      { type: 'error', fatal: true, message: expect.stringContaining("No module named 'torch'") },
    ]);
    expect(String(run.lines[1]!.message)).toContain('AI_TOOLKIT_PYTHON must have torch and transformers');
  });
});

describe('florence2_caption.py follows the Florence-2-large model card', () => {
  type Call = { call: string; args: string[]; kwargs: Record<string, string> };
  const check = async (device: 'cuda' | 'cpu') => {
    const run = await python([MODEL_CARD_CHECK, SCRIPT_DIR, device], request([{ name: 'a.jpg', path: '/d/a.jpg' }]));
    const record = JSON.parse(run.stderr.trim().split('\n').at(-1)!) as { code: number; calls: Call[] };
    return { run, record, find: (name: string) => record.calls.filter((c) => c.call === name) };
  };

  it('CUDA: float16, trust_remote_code, beams 3, 1024 new tokens, post-processing with the task and image size, GPU freed', async () => {
    const { run, record, find } = await check('cuda');
    expect(record.code).toBe(0);
    expect(find('AutoModelForCausalLM.from_pretrained')).toEqual([
      { call: 'AutoModelForCausalLM.from_pretrained', args: ["'microsoft/Florence-2-large'"], kwargs: { torch_dtype: "'torch.float16'", trust_remote_code: 'True' } },
    ]);
    expect(find('AutoProcessor.from_pretrained')[0]).toMatchObject({ args: ["'microsoft/Florence-2-large'"], kwargs: { trust_remote_code: 'True' } });
    expect(find('model.to')[0]!.args).toEqual(["'cuda'"]);
    expect(find('image.convert')[0]!.args).toEqual(["'RGB'"]);
    expect(find('processor')[0]!.kwargs).toEqual({ text: "'<CAPTION>'", return_tensors: "'pt'" });
    expect(find('inputs.to')[0]!.args).toEqual(["'cuda'", "'torch.float16'"]);
    expect(find('model.generate')[0]!.kwargs).toEqual({ max_new_tokens: '1024', num_beams: '3', do_sample: 'False' });
    expect(find('processor.batch_decode')[0]!.kwargs).toEqual({ skip_special_tokens: 'False' });
    expect(find('processor.post_process_generation')[0]!.kwargs).toEqual({ task: "'<CAPTION>'", image_size: '(640, 480)' });
    expect(record.calls.at(-1)!.call).toBe('torch.cuda.empty_cache');
    expect(run.lines).toContainEqual({ type: 'ready', model: 'microsoft/Florence-2-large', revision: '0123456789abcdef0123456789abcdef01234567', device: 'cuda', dtype: 'float16' });
    expect(run.lines).toContainEqual({ type: 'caption', index: 0, name: 'a.jpg', text: 'A woman sitting on a bench.' });
  });

  it('CPU: float32 as the model card says, and no CUDA cache to empty', async () => {
    const { record, find } = await check('cpu');
    expect(record.code).toBe(0);
    expect(find('AutoModelForCausalLM.from_pretrained')[0]!.kwargs.torch_dtype).toBe("'torch.float32'");
    expect(find('model.to')[0]!.args).toEqual(["'cpu'"]);
    expect(find('torch.cuda.empty_cache')).toEqual([]);
  });
});
