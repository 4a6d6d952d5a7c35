/** The SPA build's own output rewrite (vite.config.ts): CommonJS wrappers as function expressions. */
import { describe, expect, it } from 'vitest';
import { eagerCjsWrappers } from '../../vite.config.js';

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
