/**
 * Warm start: `./start.sh` builds only when a source, config or lock file is newer than the last
 * build; `./start.sh build` always builds. Runs the real start.sh in a copy of the checkout whose
 * `npm` is a stand-in that records each build and writes a dist/ whose supervisor only reports
 * that it ran, so the decision is tested without a 15-second build per case.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/stack.js';
import { tempDir } from '../helpers/test-config.js';

let dir: string;
let checkout: string;

const FAKE_NPM = `#!/usr/bin/env bash
# Stand-in for npm: "npm run --silent build" writes a minimal dist/ and logs the build.
if [ "$1 $3" = "run build" ]; then
  echo build >> "$BUILD_LOG"
  mkdir -p dist/server dist/worker dist/supervisor dist/client
  touch dist/server/main.js dist/worker/main.js dist/client/index.html
  echo 'process.stderr.write("supervisor ran " + process.argv.slice(2).join(" ") + "\\n")' > dist/supervisor/main.js
  exit 0
fi
echo "unexpected npm $*" >&2; exit 1
`;

function startSh(...args: string[]) {
  const r = spawnSync('bash', [path.join(checkout, 'start.sh'), ...args], {
    cwd: checkout,
    env: {
      ...process.env,
      PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`,
      BUILD_LOG: path.join(dir, 'builds.log'),
      VOLUME_ROOT: path.join(dir, 'volume'),
      REDIS_URL: 'redis://127.0.0.1:1/0', // nothing answers: the supervisor is told to start Redis
    },
    encoding: 'utf8',
  });
  return { code: r.status, stderr: r.stderr };
}

const builds = () => (fs.existsSync(path.join(dir, 'builds.log')) ? fs.readFileSync(path.join(dir, 'builds.log'), 'utf8').split('\n').filter(Boolean).length : 0);

/** Sets a file's mtime `seconds` from now (the stamp's mtime is "now" when a build starts). */
function age(file: string, seconds: number) {
  const t = new Date(Date.now() + seconds * 1000);
  fs.utimesSync(path.join(checkout, file), t, t);
}

beforeAll(() => {
  dir = tempDir('isengard-warm-');
  checkout = path.join(dir, 'repo');
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'npm'), FAKE_NPM, { mode: 0o755 });
  fs.mkdirSync(checkout);
    for (const f of ['start.sh', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.config.ts']) {
    fs.cpSync(path.join(REPO, f), path.join(checkout, f), { preserveTimestamps: true });
  }
  fs.cpSync(path.join(REPO, 'src'), path.join(checkout, 'src'), { recursive: true, preserveTimestamps: true });
  // Every input an hour old, as in a checkout that was built after its last change.
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'vite.config.ts', 'src/shared/jobs.ts']) age(f, -3600);
  // Installed after the lock was written, so start.sh sees nothing to install (the stand-in
  // supervisor needs no packages).
  fs.mkdirSync(path.join(checkout, 'node_modules'));
  fs.writeFileSync(path.join(checkout, 'node_modules', '.package-lock.json'), '{}');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('./start.sh warm start', () => {
  it('builds a checkout without dist/, then skips the build while dist/ is newer than every input', () => {
    const first = startSh();
    expect(first.stderr).toContain('building');
    expect(first.stderr).toContain('supervisor ran --redis');
    expect(builds()).toBe(1);

    const second = startSh();
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('dist/ is up to date');
    expect(second.stderr).not.toContain('building');
    expect(second.stderr).toContain('supervisor ran');
    expect(builds()).toBe(1);
  });

  it.each(['src/shared/jobs.ts', 'tsconfig.json', 'vite.config.ts', 'package.json'])('a newer %s means a build', (file) => {
    const before = builds();
    age(file, 60);
    expect(startSh().stderr).toContain('building');
    expect(builds()).toBe(before + 1);
    age(file, -3600);
    expect(startSh().stderr).toContain('dist/ is up to date');
    expect(builds()).toBe(before + 1);
  });

  it('./start.sh build always builds, even when dist/ is up to date', () => {
    const before = builds();
    const r = startSh('build');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('building');
    expect(builds()).toBe(before + 1);
  });

  it('a missing dist entry point means a build, whatever the stamp says', () => {
    const before = builds();
    fs.rmSync(path.join(checkout, 'dist/worker/main.js'));
    expect(startSh().stderr).toContain('building');
    expect(builds()).toBe(before + 1);
  });
});
