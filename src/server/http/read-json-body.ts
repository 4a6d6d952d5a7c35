import type { IncomingMessage } from 'node:http';
import { AppError } from '../../shared/errors.js';

/** Reads a JSON body of at most `limit` bytes; 413 past it, 400 when it is not JSON. */
export async function readJsonBody(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AppError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw AppError.badParam('input', 'Request body is not valid JSON');
  }
}
