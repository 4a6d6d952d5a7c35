/**
 * The Florence-2 caption script ships in the repository (`python/florence2_caption.py`), beside
 * `workflows/`: found by walking up from this module, so it works from src/ under tsx and from dist/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CAPTION_SCRIPT = path.join('python', 'florence2_caption.py');

export function findCaptionScript(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    const candidate = path.join(dir, CAPTION_SCRIPT);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No ${CAPTION_SCRIPT} above ${start}`);
    dir = parent;
  }
}

/** One line the script writes on stdout (its docstring is the protocol's definition). */
export type CaptionerMessage =
  | { type: 'progress'; stage: 'loading'; model: string }
  | { type: 'progress'; stage: 'captioning'; index: number; total: number; name: string }
  | { type: 'ready'; model: string; revision: string; device: string; dtype: string }
  | { type: 'caption'; index: number; name: string; text: string }
  | { type: 'error'; fatal: true; message: string }
  | { type: 'error'; fatal?: false; index: number; name: string; message: string }
  | { type: 'done'; captioned: number; failed: number };

/** A protocol line, or null for anything else on stdout (it is logged, never trusted). */
export function parseCaptionerLine(line: string): CaptionerMessage | null {
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const m = value as Record<string, unknown>;
  const str = (k: string) => typeof m[k] === 'string';
  switch (m.type) {
    case 'progress':
      return m.stage === 'loading' || (m.stage === 'captioning' && str('name')) ? (m as CaptionerMessage) : null;
    case 'ready':
      return str('model') && str('revision') ? (m as CaptionerMessage) : null;
    case 'caption':
      return str('name') && str('text') ? (m as CaptionerMessage) : null;
    case 'error':
      return str('message') && (m.fatal === true || str('name')) ? (m as CaptionerMessage) : null;
    case 'done':
      return m as CaptionerMessage;
    default:
      return null;
  }
}
