/**
 * The queries an SPA page waits on before it can be used, with their inputs. The server answers
 * them inside the index.html it serves for the page's path (src/server/http/page-boot-data.ts);
 * the SPA puts those answers in its query cache, and asks for any that are missing in one batch
 * at start-up (src/client/lib/boot-data.ts). Both sides read this one table, so the answers land
 * under the query keys the page then reads.
 */
import { pageOfPath } from './spa-pages.js';

/** The Training page's job list query (src/client/pages/TrainingPage.tsx). */
export const TRAINING_LIST_INPUT = { limit: 20 };

export type BootQuery =
  | { path: 'system.info'; input?: undefined }
  | { path: 'system.health'; input?: undefined }
  | { path: 'characters.list'; input?: undefined }
  | { path: 'training.list'; input: typeof TRAINING_LIST_INPUT };
export type BootQueryPath = BootQuery['path'];

/** The id of index.html's `<script type="application/json">` that carries the answers. */
export const BOOT_DATA_ELEMENT_ID = 'isengard-boot-data';

/** What that element holds. */
export interface BootData {
  /** The answer `GET /api/session` would give; present only when the server needs no token. */
  session?: { auth: boolean; authenticated: boolean };
  /** Answers by procedure, for this page's boot queries; one that failed is left out. */
  queries: Partial<Record<BootQueryPath, unknown>>;
}

export function bootQueriesOf(pathname: string): BootQuery[] {
  // The top bar (src/client/App.tsx) shows health and the version from info on every page.
  const shell: BootQuery[] = [{ path: 'system.info' }, { path: 'system.health' }];
  switch (pageOfPath(pathname)) {
    case 'TrainingPage':
      return [...shell, { path: 'characters.list' }, { path: 'training.list', input: TRAINING_LIST_INPUT }];
    case 'CharactersPage':
      return [...shell, { path: 'characters.list' }];
    default:
      return shell;
  }
}
