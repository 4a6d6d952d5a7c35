/**
 * Start-up data. The server answers the opened page's first queries (the capability manifest,
 * server health, the page's lists: shared/boot-queries.ts) inside index.html
 * (src/server/http/page-boot-data.ts); they go into the query cache before React's first render,
 * so the page renders with its data. Whatever index.html does not carry (a server with an API
 * token, `npx vite`, a query that failed) is asked for here in one tRPC batch, in parallel with
 * the session probe and the page's chunk. Without either the Training page waited on a chain of
 * round trips: session → shell queries → page chunk → page queries.
 *
 * With an API token and no session yet the asked ones answer 401; the errors sit in the cache
 * and every query without data is fetched again when its page mounts after the token prompt.
 */
import type { Query, QueryClient } from '@tanstack/react-query';
import { createTRPCQueryUtils } from '@trpc/react-query';
import { BOOT_DATA_ELEMENT_ID, bootQueriesOf, type BootData, type BootQueryPath } from '../../shared/boot-queries.js';
import type { TrpcClient } from './trpc.js';

/** Start-up answers this young are not asked for again when their page mounts. */
const BOOT_FRESH_MS = 5_000;
const bootQueries = new Set<string>();

let served: BootData | null | undefined;

/** What index.html carried (read once), or null. */
export function servedBootData(): BootData | null {
  if (served === undefined) {
    served = null;
    const text = document.getElementById(BOOT_DATA_ELEMENT_ID)?.textContent;
    if (text) {
      try {
        served = JSON.parse(text) as BootData;
      } catch {
        served = null; // asked for instead, as without it
      }
    }
  }
  return served;
}

interface BootProcedure {
  prefetch(input: unknown): Promise<void>;
  setData(input: unknown, data: unknown): unknown;
}

export function prefetchRoute(path: string, queryClient: QueryClient, client: TrpcClient): void {
  const utils = createTRPCQueryUtils({ queryClient, client });
  // Each procedure's own typed helpers, loosened: the answers were made by that procedure.
  const procedures = {
    'system.info': utils.system.info,
    'system.health': utils.system.health,
    'characters.list': utils.characters.list,
    'training.list': utils.training.list,
  } as unknown as Record<BootQueryPath, BootProcedure>;
  const answers = servedBootData()?.queries ?? {};
  const requests: Promise<void>[] = [];
  for (const { path: proc, input } of bootQueriesOf(path)) {
    if (proc in answers) procedures[proc].setData(input, answers[proc]);
    else requests.push(procedures[proc].prefetch(input));
  }
  // setData and prefetch() both build each query in the cache at once.
  for (const query of queryClient.getQueryCache().getAll()) bootQueries.add(query.queryHash);
  void Promise.all(requests);
}

/**
 * The QueryClient's `refetchOnMount`: React Query's default (refetch when stale), except that a
 * query answered at start-up is not fetched a second time by the page it was fetched for.
 */
export function refetchOnMount(query: Query): boolean {
  return !(bootQueries.has(query.queryHash) && Date.now() - query.state.dataUpdatedAt < BOOT_FRESH_MS);
}
