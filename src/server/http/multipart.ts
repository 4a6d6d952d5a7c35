/**
 * A multipart/form-data request body as an async sequence of files (busboy underneath), read
 * lazily: nothing is checked or read until the consumer asks for the first part. Each part's
 * stream must be consumed (or resumed) before busboy moves on to the next one. A body that is
 * not multipart, malformed, or broken off by the client ends the sequence with a
 * MalformedUploadError; its file streams are destroyed, so no descriptor stays open.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { UPLOAD_LIMITS } from '../../shared/characters.js';
import { MalformedUploadError, type UploadPart } from '../services/character-images.service.js';

/** Files listed one by one; beyond this busboy skips them and one "more files" part stands for the rest. */
export const LISTED_FILES_MAX = UPLOAD_LIMITS.maxFiles * 10;

export async function* multipartFiles(req: IncomingMessage): AsyncGenerator<UploadPart> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')) {
    throw new MalformedUploadError('must be sent as multipart/form-data');
  }
  let bb: busboy.Busboy;
  try {
    bb = busboy({ headers: req.headers, limits: { fileSize: UPLOAD_LIMITS.maxBytes, files: LISTED_FILES_MAX, fields: 20, fieldSize: 4096 } });
  } catch {
    throw new MalformedUploadError('must be sent as multipart/form-data with a boundary');
  }
  const queue: UploadPart[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  bb.on('file', (_field, stream, info) => {
    // busboy destroys a part cut off by a broken body with an error, possibly before the consumer
    // has picked the part up; the consumer's pipeline still sees it as a failed read.
    stream.on('error', () => undefined);
    queue.push({ filename: info.filename, stream, truncated: () => stream.truncated === true });
    notify();
  });
  bb.on('filesLimit', () => {
    queue.push({ moreFiles: true });
    notify();
  });
  bb.on('close', () => {
    ended = true;
    notify();
  });
  bb.on('error', (err: Error) => {
    failure ??= err;
    notify();
  });
  // A client that disconnects mid-body never ends the pipe: without this the file stream, its
  // descriptor and the temp file would stay open forever.
  const onClose = () => {
    if (!req.complete) bb.destroy(new Error('the request was aborted'));
  };
  req.on('close', onClose);
  req.on('error', onClose);
  req.pipe(bb);
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (failure) throw new MalformedUploadError(`is not a valid multipart body: ${(failure as Error).message}`);
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    req.off('close', onClose);
    req.off('error', onClose);
    if (!ended) {
      req.unpipe(bb);
      bb.destroy();
    }
  }
}
