// Reads vitest's JSON report and prints "<passed> <failed>"; a suite that failed to load counts as one failure.
const r = require(require('path').resolve(process.argv[2]));
const brokenSuites = (r.testResults || []).filter(
  (t) => t.status === 'failed' && !(t.assertionResults || []).some((a) => a.status === 'failed'),
).length;
let failed = r.numFailedTests + brokenSuites;
if (!r.success && failed === 0) failed = 1;
console.log(`${r.numPassedTests} ${failed}`);
