import sharp from 'sharp';
import type { Stack } from './stack.js';

export async function pngOf(width: number, height: number, seed = 1): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: (seed * 50) % 255, g: 120, b: 200 } } }).png().toBuffer();
}

export async function upload(url: string, characterId: string, files: { name: string; data: Buffer; type?: string }[], headers: Record<string, string> = {}) {
  const form = new FormData();
  for (const f of files) form.append('images', new Blob([new Uint8Array(f.data)], { type: f.type ?? 'image/png' }), f.name);
  const res = await fetch(`${url}/api/characters/${characterId}/images`, { method: 'POST', body: form, headers });
  return { status: res.status, body: (await res.json()) as { uploaded: { name: string; width: number; height: number; caption: string; filename: string }[]; rejected: { filename: string; reason: string }[]; error?: string } };
}

/** A character with `n` uploaded images, ready to train. */
export async function characterWithImages(stack: Stack, n = 2, trigger = 'zed_person'): Promise<string> {
  const { body } = await stack.call<{ id: string }>('characters.create', { name: 'Zed', trigger_word: trigger });
  const files = await Promise.all(Array.from({ length: n }, async (_, i) => ({ name: `p${i}.png`, data: await pngOf(320, 400, i + 1) })));
  const res = await upload(stack.url, body.id, files);
  if (res.body.uploaded.length !== n) throw new Error(`upload failed: ${JSON.stringify(res.body)}`);
  return body.id;
}

export async function readLogLines(url: string, jobId: string): Promise<Record<string, any>[]> {
  const res = await fetch(`${url}/api/jobs/${jobId}/logs`);
  if (res.status !== 200) throw new Error(`logs ${res.status}`);
  return (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
}
