/**
 * The first data of an SPA page, answered inside the index.html served for its path: a
 * `<script type="application/json">` element (data, never run, so the Content-Security-Policy of
 * security/headers.ts allows it) that src/client/lib/boot-data.ts reads instead of asking. The
 * page is then usable once its scripts have run, without the round trips of a session probe and a
 * query batch after that.
 *
 * Only a server without ISENGARD_API_TOKEN inlines anything. With a token every answer needs
 * credentials, and a page load carries none: the session cookie is scoped to /api
 * (security/credentials.ts), and a navigation sends no Authorization header. Those pages go out
 * as built and the SPA probes its session and asks as before.
 */
import type { IncomingMessage } from 'node:http';
import { BOOT_DATA_ELEMENT_ID, bootQueriesOf, type BootData, type BootQuery } from '../../shared/boot-queries.js';
import type { Context } from '../context.js';
import type { AppRouter } from '../routers/index.js';
import { createCallerFactory } from '../trpc.js';

/** Past this the page goes out without data: the SPA then asks itself, as without this module. */
export const BOOT_DATA_TIMEOUT_MS = 500;

type Caller = ReturnType<AppRouter['createCaller']>;

function call(c: Caller, q: BootQuery): Promise<unknown> {
  switch (q.path) {
    case 'system.info':
      return c.system.info();
    case 'system.health':
      return c.system.health();
    case 'characters.list':
      return c.characters.list();
    case 'training.list':
      return c.training.list(q.input);
  }
}

/**
 * JSON that stays inside its script element whatever the strings in it hold: no `<` (so no
 * `</script>` or `<!--`), `>` or `&`, and no U+2028/U+2029 line separators. JSON.parse reads the
 * escapes back to the same characters.
 */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function bootDataElement(data: BootData): string {
  return `<script type="application/json" id="${BOOT_DATA_ELEMENT_ID}">${scriptSafeJson(data)}</script>\n`;
}

export type PageBootData = (req: IncomingMessage, pathname: string) => Promise<string>;

/**
 * `(req, pathname)` → the element for that page; null when nothing is inlined (token set). The
 * promise never rejects: a query that fails or is late is left out.
 */
export function createPageBootData(opts: {
  router: AppRouter;
  tokenRequired: boolean;
  context: (req: IncomingMessage) => Context;
  timeoutMs?: number;
}): PageBootData | null {
  if (opts.tokenRequired) return null;
  const createCaller = createCallerFactory(opts.router);
  const timeoutMs = opts.timeoutMs ?? BOOT_DATA_TIMEOUT_MS;
  return async (req, pathname) => {
    const caller = createCaller(opts.context(req));
    const data: BootData = { session: { auth: false, authenticated: true }, queries: {} };
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const answers = bootQueriesOf(pathname).map((q) =>
      call(caller, q).then(
        (answer) => void (data.queries[q.path] = answer),
        () => undefined,
      ),
    );
    await Promise.race([Promise.all(answers), late]);
    clearTimeout(timer);
    return bootDataElement(data);
  };
}
