import { describe, expect, it } from 'vitest';
import { LineSplitter, parseClock, parseTqdmLine, stripAnsi } from './tqdm-parser.js';

function split(chunks: (string | Buffer)[]): string[] {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l));
  for (const c of chunks) s.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
  s.end();
  return lines;
}

describe('LineSplitter', () => {
  it('splits on \\r, \\n and \\r\\n and drops empty lines', () => {
    expect(split(['a\nb\rc\r\nd\n\n\re'])).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('joins partial lines across chunks', () => {
    expect(split(['Load', 'ing Flux', ' model\nnext', ' line'])).toEqual(['Loading Flux model', 'next line']);
  });

  it('treats a \\r\\n split across chunks as one break', () => {
    expect(split(['one\r', '\ntwo\r', 'three\r', '\r\n'])).toEqual(['one', 'two', 'three']);
  });

  it('keeps multi-byte UTF-8 characters split across chunk boundaries', () => {
    const line = 'my_lora:  45%|████▌     | 450/1000';
    const bytes = Buffer.from(`\r${line}\r`, 'utf8');
    // Cut inside the 3-byte '█' sequences at every offset.
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(split([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([line]);
    }
    const oneByOne = [...bytes].map((b) => Buffer.from([b]));
    expect(split(oneByOne)).toEqual([line]);
  });

  it('emits a trailing line without a break on end()', () => {
    expect(split(['done'])).toEqual(['done']);
  });

  it('emits a runaway line instead of buffering it forever', () => {
    const lines = split(['x'.repeat(70_000)]);
    expect(lines.join('')).toHaveLength(70_000);
    expect(lines.length).toBeGreaterThanOrEqual(1);
  });
});

describe('parseTqdmLine', () => {
  it('parses the ai-toolkit training bar', () => {
    const p = parseTqdmLine('my_lora:  45%|████▌     | 450/1000 [05:12<06:21,  1.44it/s, lr: 1.0e-04 loss: 3.912e-01]');
    expect(p).toEqual({
      percent: 45,
      step: 450,
      total: 1000,
      elapsed_s: 312,
      eta_s: 381,
      it_per_sec: 1.44,
      loss: 0.3912,
      lr: 0.0001,
      loss_text: '3.912e-01',
      lr_text: '1.0e-04',
      desc: 'my_lora',
    });
  });

  it('inverts s/it into it/s', () => {
    const p = parseTqdmLine('bob:  10%|█         | 100/1000 [03:51<34:39,  2.31s/it, lr: 5.0e-05 loss: 1.234e+00]');
    expect(p?.it_per_sec).toBeCloseTo(1 / 2.31, 10);
    expect(p?.loss).toBe(1.234);
    expect(p?.lr).toBe(0.00005);
  });

  it('handles the first redraw: unknown rate and ETA', () => {
    const p = parseTqdmLine('bob:   0%|          | 0/1000 [00:00<?, ?it/s]');
    expect(p).toMatchObject({ percent: 0, step: 0, total: 1000, elapsed_s: 0, eta_s: null, it_per_sec: null, loss: null, lr: null });
  });

  it('reads hours in elapsed and remaining', () => {
    const p = parseTqdmLine('bob:  50%|█████     | 5000/10000 [1:02:03<1:02:03,  1.34it/s, lr: 1.0e-04 loss: 2.5e-01]');
    expect(p?.elapsed_s).toBe(3723);
    expect(p?.eta_s).toBe(3723);
    expect(parseClock('10:00:00')).toBe(36000);
  });

  it('parses ASCII bars and bars without a description', () => {
    expect(parseTqdmLine('bob:  45%|####5     | 450/1000 [05:12<06:21,  1.44it/s]')?.step).toBe(450);
    const p = parseTqdmLine('100%|██████████| 20/20 [00:05<00:00,  3.80it/s]');
    expect(p).toMatchObject({ desc: '', step: 20, total: 20, percent: 100, eta_s: 0 });
  });

  it('keeps other loss terms apart and ignores nan', () => {
    const p = parseTqdmLine('bob:  45%|████▌     | 450/1000 [05:12<06:21,  1.44it/s, lr: 1.0e-04 loss: nan diff_loss: 2.0e-02]');
    expect(p?.loss).toBeNull();
    expect(p?.loss_text).toBe('nan');
    expect(p?.lr).toBe(0.0001);
  });

  it('returns null for anything that is not a progress bar', () => {
    for (const line of [
      'Loading Flux model',
      'Saving at step 250',
      'Traceback (most recent call last):',
      'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 72.00 MiB',
      '  -  Found 12 images',
      '450it [05:12,  1.44it/s]',
      'progress 45%|not really',
      '',
    ]) {
      expect(parseTqdmLine(line), line).toBeNull();
    }
  });

  it('parses every redraw of a \\r-separated stream', () => {
    const stream = [
      '\rbob:   0%|          | 0/3 [00:00<?, ?it/s]',
      '\rbob:  33%|███▎      | 1/3 [00:01<00:02,  1.00it/s, lr: 1.0e-04 loss: 5.0e-01]',
      '\rbob:  67%|██████▋   | 2/3 [00:02<00:01,  1.00it/s, lr: 1.0e-04 loss: 4.0e-01]',
      '\rbob: 100%|██████████| 3/3 [00:03<00:00,  1.00it/s, lr: 1.0e-04 loss: 3.0e-01]\n',
    ].join('');
    const parsed = split([stream.slice(0, 50), stream.slice(50, 161), stream.slice(161)]).map(parseTqdmLine);
    expect(parsed.map((p) => p?.step)).toEqual([0, 1, 2, 3]);
    expect(parsed.map((p) => p?.loss)).toEqual([null, 0.5, 0.4, 0.3]);
  });
});

describe('nested bars (tqdm position > 0) and terminal escapes', () => {
  // What tqdm writes for a bar at position 1 (ai-toolkit's "Generating Images" under the paused
  // training bar): moveto(1) = '\n', '\r' + meter, moveto(-1) = ESC[A; close(leave=False) blanks it.
  const nested = [
    '\n\rGenerating Images:   0%|          | 0/2 [00:00<?, ?it/s]\x1b[A',
    '\n\rGenerating Images:  50%|█████     | 1/2 [00:01<00:01,  1.02s/it]\x1b[A',
    '\n\rGenerating Images: 100%|██████████| 2/2 [00:02<00:00,  1.01s/it]\x1b[A',
    '\n\r                                                                  \r\x1b[A',
  ].join('');

  it('strips CSI, OSC and two-byte escapes, and leaves other text alone', () => {
    expect(stripAnsi('bar]\x1b[A')).toBe('bar]');
    expect(stripAnsi('\x1b[31mred\x1b[0m \x1b[2K\x1b[1;32mok\x1b[m')).toBe('red ok');
    expect(stripAnsi('\x1b]0;title\x07text\x1b]8;;http://x\x1b\\link')).toBe('textlink');
    expect(stripAnsi('\x1b7saved\x1b8\x9bKcut')).toBe('savedcut');
    const plain = 'bob:  33%|███▎      | 1/3 [00:01<00:02,  1.00it/s]';
    expect(stripAnsi(plain)).toBe(plain);
  });

  it('yields clean lines that parse as the side bar they are, with no ESC left', () => {
    const lines = split([nested.slice(0, 37), nested.slice(37, 120), nested.slice(120)]);
    expect(lines.join('')).not.toContain('\x1b');
    const bars = lines.map(parseTqdmLine);
    expect(bars.slice(0, 3).map((p) => [p?.desc, p?.step, p?.total])).toEqual([
      ['Generating Images', 0, 2],
      ['Generating Images', 1, 2],
      ['Generating Images', 2, 2],
    ]);
    expect(lines.slice(3).every((l) => l.trim() === '')).toBe(true);
  });
});
