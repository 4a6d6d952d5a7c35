import fs from 'node:fs/promises';

/**
 * Writes a valid .safetensors file: 8-byte little-endian header length, JSON header, data.
 * Tensors are small F32 LoRA-shaped matrices filled from `fill`.
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, { shape: [number, number] }>,
  metadata: Record<string, string>,
  fill: () => number,
): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const [name, { shape }] of Object.entries(tensors)) {
    const data = Buffer.alloc(shape[0] * shape[1] * 4);
    for (let i = 0; i < shape[0] * shape[1]; i++) data.writeFloatLE(fill() * 0.02 - 0.01, i * 4);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.length] };
    offset += data.length;
    chunks.push(data);
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  await fs.writeFile(file, Buffer.concat([len, Buffer.from(json), ...chunks]));
}
