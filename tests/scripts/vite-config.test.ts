/** The SPA build's own steps (vite.config.ts): CommonJS wrappers as function expressions, one chunk for what pages share. */
import { describe, expect, it } from 'vitest';
import { eagerCjsWrappers, sharedPageModules, type ModuleGraph } from '../../vite.config.js';

describe('eagerCjsWrappers', () => {
  it("turns rolldown's arrow wrappers into function expressions and leaves other code alone", () => {
    const code = [
      'var require_react_production = /* @__PURE__ */ __commonJSMin(((exports) => {',
      '\tvar x = (a) => {',
      '}));',
      'var require_react = /* @__PURE__ */ __commonJSMin(((exports, module) => {',
      '\tmodule.exports = require_react_production();',
      '}));',
      'const f = __commonJSMin(((exports) => { inline(); }));',
    ].join('\n');
    expect(eagerCjsWrappers(code).split('\n')).toEqual([
      'var require_react_production = /* @__PURE__ */ __commonJSMin((function(exports) {',
      '\tvar x = (a) => {',
      '}));',
      'var require_react = /* @__PURE__ */ __commonJSMin((function(exports, module) {',
      '\tmodule.exports = require_react_production();',
      '}));',
      // Not at the end of its line: rewriting it would shift mapped columns after it.
      'const f = __commonJSMin(((exports) => { inline(); }));',
    ]);
  });
});

describe('sharedPageModules', () => {
  // main → shell; pages A, B, C load lazily. `deps` lists static imports.
  const graphOf = (deps: Record<string, string[]>, dynamic: Record<string, string[]> = { main: ['A', 'B', 'C'] }): ModuleGraph => ({
    ids: [...new Set([...Object.keys(deps), ...Object.values(deps).flat(), ...Object.values(dynamic).flat()])],
    isEntry: (id) => id === 'main',
    staticImports: (id) => deps[id] ?? [],
    dynamicImports: (id) => dynamic[id] ?? [],
  });

  it('takes what two or more pages share, but nothing the entry carries and nothing only one page uses', () => {
    const graph = graphOf({ main: ['shell'], A: ['kit', 'onlyA', 'shell'], B: ['kit', 'util'], C: ['util'], kit: ['util', 'shell'] });
    expect([...sharedPageModules(graph)].sort()).toEqual(['kit', 'util']);
  });

  it('leaves out stylesheets, the modules importing them and, transitively, their importers', () => {
    const graph = graphOf({
      main: [],
      A: ['wrapper', 'plain'],
      B: ['wrapper', 'plain'],
      C: [],
      wrapper: ['grid'],
      grid: ['cell', 'grid.css'],
      cell: ['plain'],
    });
    // grid imports CSS, and wrapper imports grid.
    expect([...sharedPageModules(graph)].sort()).toEqual(['cell', 'plain']);
  });

  it('never takes a page module, even one another page imports statically', () => {
    const graph = graphOf({ main: [], A: ['B'], C: ['B'], B: ['x'], x: [] });
    expect([...sharedPageModules(graph)]).toEqual(['x']);
  });
});
