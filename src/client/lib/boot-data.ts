/**
 * Start-up requests. Before React's first render, main.tsx asks for what the opened page needs
 * (the capability manifest, server health and the page's first queries) in one tRPC batch, in
 * parallel with the session probe and the page's chunk. Without this the Training page waited on a
 * chain of round trips: session → shell queries → page chunk → page queries.
 *
 * With an API token and no session yet these answer 401; the errors sit in the cache and every
 * query without data is fetched again when its page mounts after the token prompt.
 */
import type { Query, QueryClient } from '@tanstack/react-query';
import { createTRPCQueryUtils } from '@trpc/react-query';
import { matchPath } from './router.js';
import type { TrpcClient } from './trpc.js';

/** The Training page's job list query (TrainingPage.tsx), prefetched at start-up. */
export const TRAINING_LIST_INPUT = { limit: 20 };

/** Prefetched answers this young are not asked for again when their page mounts. */
const BOOT_FRESH_MS = 5_000;
const bootQueries = new Set<string>();

export function prefetchRoute(path: string, queryClient: QueryClient, client: TrpcClient): void {
  const utils = createTRPCQueryUtils({ queryClient, client });
  const route = path === '/' ? '/characters' : path;
  const requests = [utils.system.info.prefetch(), utils.system.health.prefetch()];
  if (matchPath('/training', route)) requests.push(utils.characters.list.prefetch(), utils.training.list.prefetch(TRAINING_LIST_INPUT));
  else if (matchPath('/characters', route)) requests.push(utils.characters.list.prefetch());
  // prefetch() builds each query in the cache at once, before its request goes out.
  for (const query of queryClient.getQueryCache().getAll()) bootQueries.add(query.queryHash);
  void Promise.all(requests);
}

/**
 * The QueryClient's `refetchOnMount`: React Query's default (refetch when stale), except that a
 * query prefetched at start-up is not fetched a second time by the page it was fetched for.
 */
export function refetchOnMount(query: Query): boolean {
  return !(bootQueries.has(query.queryHash) && Date.now() - query.state.dataUpdatedAt < BOOT_FRESH_MS);
}
