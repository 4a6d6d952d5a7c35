/** A clone with nothing beside it must work: no file reads or cites anything outside the repository. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stack.js';
import { findEscapes, listRepoFiles, scanText } from './repo-paths.js';

const ROOT = '/r/repo';
const escapes = (file: string, text: string) => scanText(ROOT, file, text).map((e) => e.resolved);

describe('path escape finder', () => {
  it('flags relative paths that climb above the root, in every form the repo uses', () => {
    expect(escapes('tests/fakes/f.ts', "const P = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/fixtures/x.json');")).toEqual(['/r/shared/fixtures/x.json']);
    expect(escapes('src/a/b.test.ts', "fs.readFileSync(path.resolve(repoRoot, '../shared/fixtures/x.json'), 'utf8')")).toEqual(['/r/shared/fixtures/x.json']);
    expect(escapes('src/a/b.ts', "const d = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'up');")).toEqual(['/r/up']);
    expect(escapes('tests/x.ts', "import { a } from '../../outside/a.js';")).toEqual(['/r/outside/a.js']);
    expect(escapes('tests/x.ts', "const m = await import('../../sibling/m.js');")).toEqual(['/r/sibling/m.js']);
    expect(escapes('tests/x.ts', "const u = new URL('../../y.json', import.meta.url);")).toEqual(['/r/y.json']);
    expect(escapes('bench/x.ts', 'const f = `${ROOT}/../shared/seed.txt`;')).toEqual(['/r/shared/seed.txt']);
    expect(escapes('start.sh', '#!/usr/bin/env bash\ncat ../shared/DESIGN.md\nsource "$ROOT/../env.sh"\n')).toEqual(['/r/shared/DESIGN.md', '/r/env.sh']);
    expect(escapes('tests/fakes/fake-ai-toolkit/run.py', "cfg = os.path.join(os.path.dirname(__file__), '../../../..', 'x')")).toEqual(['/r/x']);
    expect(escapes('docs/a.md', 'see [the design](../../shared/DESIGN.md)')).toEqual(['/r/shared/DESIGN.md']);
    expect(escapes('tsconfig.json', '{ "extends": "../base/tsconfig.json" }')).toEqual(['/r/base/tsconfig.json']);
    expect(escapes('src/a.ts', "const design = '/work/shared/DESIGN.md';")).toEqual(['/work/shared']);
  });

  it('leaves paths inside the root and `..` that is data (hostile input in tests) alone', () => {
    expect(escapes('src/a/b/c.ts', "import { x } from '../../shared/jobs.js';")).toEqual([]);
    expect(escapes('src/a/b.test.ts', "const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');")).toEqual([]);
    expect(escapes('tests/fakes/f.ts', "fileURLToPath(new URL('../fixtures/comfyui/object_info.json', import.meta.url))")).toEqual([]);
    expect(escapes('.ci/run', '#!/usr/bin/env bash\ncd "$(dirname "$0")/.."\n# ../outside in a comment\n')).toEqual([]);
    expect(escapes('tests/security/a.ts', "const hostile = ['../../etc/passwd', '..', `../../../../tmp/${MARK}`];")).toEqual([]);
    expect(escapes('README.md', 'See [contracts](docs/contracts.md) and [ai-toolkit](https://github.com/ostris/ai-toolkit).')).toEqual([]);
  });
});

describe('the repository is self-contained', () => {
  it('no source, test, bench, script or doc refers to a path above the repository root', () => {
    const files = listRepoFiles(REPO);
    expect(files).toContain('start.sh');
    expect(files).toContain('.ci/run');
    expect(files).toContain('tests/fakes/fake-comfyui.ts');
    expect(findEscapes(REPO, files)).toEqual([]);
  });

  it('comments and docs cite only what a reader of the repository can open', () => {
    const problems: string[] = [];
    for (const file of listRepoFiles(REPO)) {
      if (file === 'tests/scripts/repo-paths.test.ts') continue; // this file names the patterns it forbids
      fs.readFileSync(path.join(REPO, file), 'utf8').split('\n').forEach((line, i) => {
        if (/\b(?:DESIGN|seed)\s*§|DESIGN\.md|seeds\/\d/.test(line)) problems.push(`${file}:${i + 1}: ${line.trim()}`);
        for (const m of line.matchAll(/\bdocs\/[\w.-]+\.md/g)) {
          if (!fs.existsSync(path.join(REPO, m[0]))) problems.push(`${file}:${i + 1}: cites missing ${m[0]}`);
        }
      });
    }
    expect(problems).toEqual([]);
  });
});
