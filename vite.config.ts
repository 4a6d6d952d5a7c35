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

// The SPA is built into dist/client and served by the API server on the same port.
export default defineConfig({
  root: 'src/client',
  plugins: [react(), eagerCjsWrappersPlugin()],
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
