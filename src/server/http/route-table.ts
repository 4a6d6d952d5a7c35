/**
 * Plain routes as data: a method list, a path template from the shared wire contract
 * (`/api/jobs/:jobId/logs`) and a handler that gets the decoded parameters. Matching is exact
 * per segment; `%2e%2e%2f` and friends are decoded before the handler judges them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_PATHS, type ApiPathName } from '../../shared/http-api.js';
import { escapeRegExp } from '../../shared/regexp.js';

export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export interface Route {
  path: ApiPathName;
  methods: readonly string[];
  /** Answered without the API token (health, session). */
  public?: boolean;
  handle(request: RouteRequest): Promise<void> | void;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  keys: string[];
}

/** `%2e%2e%2f` and friends are decoded before validation, so they are judged as what they mean. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '%invalid%';
  }
}

function compile(route: Route): CompiledRoute {
  const keys: string[] = [];
  const source = API_PATHS[route.path]
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return escapeRegExp(part);
      keys.push(part.slice(1));
      return '([^/]*)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), keys };
}

export class RouteTable {
  private readonly compiled: CompiledRoute[];
  constructor(routes: Route[]) {
    this.compiled = routes.map(compile);
  }

  /** The route for this method and path with its decoded parameters, or null. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | null {
    for (const { route, pattern, keys } of this.compiled) {
      if (!route.methods.includes(method)) continue;
      const m = pattern.exec(pathname);
      if (!m) continue;
      return { route, params: Object.fromEntries(keys.map((k, i) => [k, safeDecode(m[i + 1]!)])) };
    }
    return null;
  }
}
