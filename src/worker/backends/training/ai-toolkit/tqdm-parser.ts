/**
 * Trainer output handling: a streaming splitter for the byte streams of `run.py` and a parser for
 * tqdm progress lines such as
 *   `my_lora:  45%|████▌     | 450/1000 [05:12<06:21,  1.44it/s, lr: 1.0e-04 loss: 3.912e-01]`
 * tqdm redraws with `\r` and only ends the bar with `\n` on close, so both count as line breaks.
 * A bar drawn while another is open (ai-toolkit's "Generating Images" during sampling, diffusers'
 * step bar under it) sits at a tqdm `position` > 0: tqdm moves down with `\n` and back up with
 * `ESC[A` after every redraw, so those lines end in terminal escapes that are stripped here.
 */
import { StringDecoder } from 'node:string_decoder';

export interface TqdmProgress {
  /** Percentage as tqdm printed it (rounded by tqdm to whole numbers). */
  percent: number;
  step: number;
  total: number;
  elapsed_s: number;
  /** null while tqdm shows `?` (no rate measured yet). */
  eta_s: number | null;
  /** Always iterations per second; `s/it` readings are inverted. null for `?it/s`. */
  it_per_sec: number | null;
  loss: number | null;
  lr: number | null;
  /** The numbers exactly as printed (`3.912e-01`), for logs that must not re-round them. */
  loss_text: string | null;
  lr_text: string | null;
  /** The bar's description (ai-toolkit puts the job name there). */
  desc: string;
}

/** A line longer than this without a break is emitted anyway, so a runaway writer cannot grow memory. */
const MAX_LINE = 64 * 1024;
const BREAK_RE = /[\r\n]/g;
/**
 * ANSI escapes: CSI (`ESC[` params, intermediates, final byte, e.g. tqdm's `ESC[A`), OSC (`ESC]`
 * … BEL or ST), the 8-bit CSI byte, and two-byte ESC sequences (`ESC7`, `ESCM`, …).
 */
// eslint-disable-next-line no-control-regex -- matching terminal escapes means matching control characters
const ANSI_RE = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[ -/]*[0-~]/g;

/** Removes terminal escape sequences; a line without ESC (almost all of them) is returned as is. */
export function stripAnsi(line: string): string {
  if (line.indexOf('\x1b') === -1 && line.indexOf('\x9b') === -1) return line;
  return line.replace(ANSI_RE, '');
}

/**
 * Splits a byte stream on `\r`, `\n` and `\r\n`. Chunks may end anywhere, including inside a
 * multi-byte UTF-8 character or between the `\r` and `\n` of a CRLF. Empty lines are dropped:
 * tqdm starts every redraw with `\r`, which would otherwise yield an empty line per refresh.
 * Lines come out without terminal escapes (stripAnsi), so parsers, logs and error tails see text.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    // StringDecoder holds back an incomplete UTF-8 sequence until the next chunk completes it.
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let start = 0;
    // A native search for the next break beats a per-character loop several times over on
    // megabytes of redraws; `\r\n` (even split across chunks) yields an empty line, which emit() drops.
    BREAK_RE.lastIndex = 0;
    for (let m = BREAK_RE.exec(text); m !== null; m = BREAK_RE.exec(text)) {
      this.emit(this.pending + text.slice(start, m.index));
      this.pending = '';
      start = m.index + 1;
    }
    if (start < text.length) this.pending += text.slice(start);
    if (this.pending.length > MAX_LINE) {
      this.emit(this.pending);
      this.pending = '';
    }
  }

  /** Emits whatever is left (a last line without a break, a dangling partial character). */
  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    this.emit(rest);
  }

  private emit(raw: string): void {
    const line = stripAnsi(raw);
    if (line.length > 0) this.onLine(line);
  }
}

// tqdm's default bar format: `{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}{postfix}]`.
// The line is cut at the two `|` around the bar, which may be unicode blocks or ASCII (`#`)
// depending on the terminal encoding and is never inspected; each side gets a short anchored regex.
const HEAD_RE = /^(?:(.*): )?\s*(\d{1,3})$/;
const CLOCK = String.raw`\d+(?::\d{1,2}){1,2}`;
const TAIL_RE = new RegExp(
  String.raw`^\s*(\d+)\/(\d+)\s*\[(${CLOCK})<(${CLOCK}|\?),\s*(?:(\d+(?:\.\d+)?)|\?)(it\/s|s\/it)(?:,\s*([^\]]*))?\]\s*$`,
);

const NUMBER = String.raw`[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf|-inf`;
const LOSS_RE = new RegExp(String.raw`(?:^|[\s,])loss:\s*(${NUMBER})`);
const LR_RE = new RegExp(String.raw`(?:^|[\s,])lr:\s*(${NUMBER})`);

/** `05:12` → 312, `1:02:03` → 3723. */
export function parseClock(text: string): number {
  // Hand-rolled: split() + Number() per field was a fifth of the parse time.
  let seconds = 0;
  let field = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) {
      seconds = (seconds + field) * 60;
      field = 0;
    } else {
      field = field * 10 + (c - 48);
    }
  }
  return seconds + field;
}

function finiteOrNull(text: string | null): number | null {
  if (text === null) return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

/** Parses one tqdm redraw; anything else (log lines, tracebacks, unknown totals) → null. */
export function parseTqdmLine(line: string): TqdmProgress | null {
  // Cheap rejection first: most trainer output is not a progress bar.
  const open = line.indexOf('%|');
  if (open === -1) return null;
  const close = line.indexOf('|', open + 2);
  if (close === -1) return null;
  const head = HEAD_RE.exec(line.slice(0, open));
  if (!head) return null;
  const t = TAIL_RE.exec(line.slice(close + 1));
  if (!t) return null;
  const total = Number(t[2]);
  if (total <= 0) return null;
  const rate = t[5] === undefined ? null : Number(t[5]);
  let itPerSec: number | null = null;
  if (rate !== null && rate > 0) itPerSec = t[6] === 's/it' ? 1 / rate : rate;
  const postfix = t[7] ?? '';
  const lossText = postfix ? (LOSS_RE.exec(postfix)?.[1] ?? null) : null;
  const lrText = postfix ? (LR_RE.exec(postfix)?.[1] ?? null) : null;
  return {
    percent: Number(head[2]),
    step: Number(t[1]),
    total,
    elapsed_s: parseClock(t[3]!),
    eta_s: t[4] === '?' ? null : parseClock(t[4]!),
    it_per_sec: itPerSec,
    loss: finiteOrNull(lossText),
    lr: finiteOrNull(lrText),
    loss_text: lossText,
    lr_text: lrText,
    desc: (head[1] ?? '').trim(),
  };
}
