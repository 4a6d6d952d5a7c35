/**
 * One tRPC request may batch at most MAX_BATCH_ITEMS procedures: 900 × characters.list in one
 * GET once took seconds and a gigabyte. tRPC's own `maxBatchSize` refuses longer batches too;
 * this check comes first so the 400 names the parameter and the limit.
 */
import { AppError } from '../../shared/errors.js';
import { MAX_BATCH_ITEMS } from '../../shared/limits.js';

export function checkBatchSize(pathname: string, url: URL): void {
  if (url.searchParams.get('batch') !== '1') return;
  const procedures = pathname.slice('/api/trpc/'.length).split(',').length;
  if (procedures > MAX_BATCH_ITEMS) {
    throw AppError.badParam('batch', `Parameter 'batch' holds ${procedures} procedures; at most ${MAX_BATCH_ITEMS} per request`);
  }
}
