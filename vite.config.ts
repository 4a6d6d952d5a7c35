import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

/** Rolldown's wrapper around a CommonJS module, as it ends its line before minification. */
const ARROW_CJS_WRAPPER = /(__commonJS(?:Min)?\()\(\(([\w$]+(?:, [\w$]+)*)\) => \{$/gm;

/**
 * `__commonJSMin(((exports) => {` → `__commonJSMin((function(exports) {`. V8 compiles a
 * parenthesized `function` expression eagerly, on the background thread that parses the script
 * while it downloads; an arrow function it only pre-parses there and parses again on the main
 * thread when it first runs. React and react-dom are CommonJS, so their whole code sits in such
 * wrappers that run at start-up: in Chromium traces of the Training page (tracing on, a busy
 * 2-core host) the main thread spent 25-70 ms parsing them again before the app's first line
 * ran, and 6-8 ms with function expressions.
 * The wrappers use neither `this` nor `arguments`, so the two forms behave alike.
 */
export function eagerCjsWrappers(code: string): string {
  return code.replace(ARROW_CJS_WRAPPER, (_match, call: string, params: string) => `${call}(function(${params}) {`);
}

const eagerCjsWrappersPlugin = (): Plugin => ({
  name: 'isengard:eager-cjs-wrappers',
  apply: 'build',
  renderChunk(code) {
    const out = eagerCjsWrappers(code);
    // The rewritten text ends its line and maps to no source, so the source map stays right.
    return out === code ? null : { code: out, map: null };
  },
});

/** What sharedPageModules reads of the module graph once it is complete. */
export interface ModuleGraph {
  ids: readonly string[];
  isEntry(id: string): boolean;
  staticImports(id: string): readonly string[];
  dynamicImports(id: string): readonly string[];
}

const isCss = (id: string) => /\.css(\?|$)/.test(id);

/**
 * The modules that two or more lazily loaded pages share and the entry does not already carry.
 * Left to itself, rolldown gives each set of pages sharing code its own small chunk: the Training
 * page came as its chunk plus four such 0.5-3 KB files, each one more request on a fresh load (in
 * Chromium on a 2-core host, 10-30 ms of its time to interactive went to the extra requests).
 * These go into one chunk instead, fetched with whichever page opens first.
 *
 * Left out, so that the chunk never imports back from another lazy chunk: a stylesheet and every
 * module that imports one (the shared chunk would bring that CSS to every page, and Vite waits for
 * a chunk's CSS before the page may render), page modules themselves, and, transitively, every
 * module that imports something left out.
 */
export function sharedPageModules(graph: ModuleGraph): Set<string> {
  const reach = (from: readonly string[]) => {
    const seen = new Set<string>();
    const stack = [...from];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...graph.staticImports(id));
    }
    return seen;
  };
  const initial = reach(graph.ids.filter((id) => graph.isEntry(id)));
  const pages = new Set(graph.ids.flatMap((id) => graph.dynamicImports(id)));
  const users = new Map<string, number>();
  for (const page of pages) for (const id of reach([page])) if (!initial.has(id) && !pages.has(id)) users.set(id, (users.get(id) ?? 0) + 1);
  const shared = new Set([...users].filter(([, n]) => n >= 2).map(([id]) => id));
  const leftOut = (id: string) => !initial.has(id) && !shared.has(id);
  for (let changed = true; changed; ) {
    changed = false;
    for (const id of shared) {
      if (isCss(id) || graph.staticImports(id).some((dep) => isCss(dep) || leftOut(dep))) {
        shared.delete(id);
        changed = true;
      }
    }
  }
  return shared;
}

const sharedPageChunkPlugin = (): Plugin => {
  let shared: Set<string> | undefined;
  return {
    name: 'isengard:shared-page-chunk',
    apply: 'build',
    // Rolldown asks the chunk group's `test` after the module graph is complete (buildEnd).
    buildEnd() {
      const info = (id: string) => this.getModuleInfo(id);
      shared = sharedPageModules({
        ids: [...this.getModuleIds()],
        isEntry: (id) => info(id)?.isEntry ?? false,
        staticImports: (id) => info(id)?.importedIds ?? [],
        dynamicImports: (id) => info(id)?.dynamicallyImportedIds ?? [],
      });
    },
    config: () => ({
      build: {
        rolldownOptions: {
          output: {
            codeSplitting: {
              groups: [
                {
                  name: 'pages-common',
                  test: (id: string) => {
                    if (!shared) throw new Error('isengard:shared-page-chunk: chunk groups asked before the module graph was complete');
                    return shared.has(id);
                  },
                  // Every dependency of a shared module is in the entry or shared too (see above).
                  includeDependenciesRecursively: false,
                },
              ],
            },
          },
        },
      },
    }),
  };
};

// The SPA is built into dist/client and served by the API server on the same port.
export default defineConfig({
  root: 'src/client',
  plugins: [react(), eagerCjsWrappersPlugin(), sharedPageChunkPlugin()],
  build: {
    outDir: '../../dist/client',
    emptyOutDir: true,
    // The manifest lets the server name a page's chunks in index.html (static.route.ts: modulepreload).
    manifest: true,
    // Every browser the app supports knows modulepreload; one that does not only loses the head start.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: { '/api': { target: `http://127.0.0.1:${process.env.PORT ?? 8000}`, changeOrigin: false } },
  },
});
