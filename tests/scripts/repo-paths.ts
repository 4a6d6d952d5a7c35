/**
 * Finds references from repository files to paths above the repository root: relative imports,
 * `new URL(…, import.meta.url)`, `path.resolve/join` and `os.path.join` whose literal segments climb
 * out, shell `../` paths, markdown links, and absolute paths into the workspace around the checkout.
 * A fresh clone has nothing beside it, so every one of those is a failure waiting for a user.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface PathEscape {
  file: string;
  line: number;
  text: string;
  resolved: string;
}

/** Generated, installed or local-only: not part of what a clone carries. */
const SKIP_DIRS = new Set(['.git', 'node_modules', 'dist', 'data', '.tmp', 'screenshots', 'results']);
const TEXT_EXT = /\.(ts|tsx|js|mjs|cjs|jsx|json|sh|md|py|ya?ml|html|css)$/;
/** Absolute locations of the workspace a checkout used to sit in; a clone elsewhere has none of them. */
const OUTSIDE_ABSOLUTE = /(?<![\w.-])\/work\/(?:shared|wt|main)\b/;

export function listRepoFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !(entry.name.startsWith('.') && entry.name !== '.ci')) walk(path.join(dir, entry.name));
      } else if (entry.isFile()) {
        const full = path.join(dir, entry.name);
        if (TEXT_EXT.test(entry.name) || hasShebang(full)) out.push(path.relative(root, full));
      }
    }
  };
  walk(root);
  return out.sort();
}

function hasShebang(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    return fs.readSync(fd, buf, 0, 2, 0) === 2 && buf.toString() === '#!';
  } finally {
    fs.closeSync(fd);
  }
}

const STRING = /(['"`])((?:(?!\1)[^\\\n]|\\.)*)\1/g;
const stringsIn = (s: string) => [...s.matchAll(STRING)].map((m) => m[2]!);
/** A literal that is a path segment list (no spaces, no template holes), e.g. `'../a'`, `'..'`. */
const isPathLiteral = (s: string) => /^[\w.@/-]+$/.test(s) && !s.includes('${');
const climbs = (s: string) => s.split('/').includes('..');

function outside(root: string, resolved: string): boolean {
  const rel = path.relative(root, resolved);
  return rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
}

/** Every escape in one file's text; `file` is relative to `root`. */
export function scanText(root: string, file: string, text: string): PathEscape[] {
  const found: PathEscape[] = [];
  const abs = path.join(root, file);
  const dir = path.dirname(abs);
  const isShell = /\.sh$/.test(file) || /^#!.*\b(ba)?sh\b/.test(text);
  const isMarkdown = file.endsWith('.md');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const report = (base: string, rel: string) => {
      const resolved = path.resolve(base, rel);
      if (outside(root, resolved)) found.push({ file, line: i + 1, text: line.trim(), resolved });
    };
    if (OUTSIDE_ABSOLUTE.test(line)) found.push({ file, line: i + 1, text: line.trim(), resolved: line.match(OUTSIDE_ABSOLUTE)![0] });

    if (isMarkdown) {
      for (const m of line.matchAll(/\]\(([^)\s#]+)/g)) if (!/^[a-z]+:/i.test(m[1]!)) report(dir, m[1]!);
      return;
    }
    if (isShell) {
      if (/^\s*#/.test(line)) return;
      // start.sh and .ci/run work from their own folder, so `..` counts from there (also after `$ROOT/`).
      for (const m of line.matchAll(/(?<![\w.])((?:\.\.\/)*\.\.(?:\/[\w.@-]+)*)(?=$|[\s"';:)/])/g)) report(dir, m[1]!);
      return;
    }
    // Module specifiers resolve against the importing file's folder.
    for (const m of line.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)(['"])(\.[^'"]*)\1/g)) report(dir, m[2]!);
    // new URL('../x', import.meta.url): URL resolution, also against the file's folder.
    for (const m of line.matchAll(/new URL\(\s*(['"`])([^'"`]*)\1\s*,\s*import\.meta\.url/g)) report(dir, m[2]!);
    // path.resolve/join(base, '..', 'x'): the literals after the base, joined, against the base.
    for (const m of line.matchAll(/\b(?:path\.(?:resolve|join)|os\.path\.join|Path)\(/g)) {
      const args = callArgs(line, m.index + m[0].length);
      const literals = stringsIn(args).filter(isPathLiteral);
      const rel = literals.join('/');
      if (!climbs(rel)) continue;
      report(baseOf(root, abs, args), rel);
    }
    // `${root}/../x` in a template string.
    for (const m of line.matchAll(/\$\{(?:repoRoot|REPO_ROOT|REPO|ROOT|root)\}\/?(\.\.[^`'"\s]*)/g)) report(root, m[1]!);
    // JSON (tsconfig extends/paths, package.json scripts): relative strings against the file's folder.
    if (file.endsWith('.json')) for (const s of stringsIn(line)) if (/^\.\.?\//.test(s) && climbs(s)) report(dir, s.split(/\s/)[0]!);
  });
  return found;
}

/** The text between an opening parenthesis (just before `start`) and its match, strings skipped. */
function callArgs(line: string, start: number): string {
  let depth = 1;
  let quote = '';
  for (let i = start; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return line.slice(start, i);
  }
  return line.slice(start);
}

/**
 * What a path call's first argument most likely is. The repository root when it is named so; the
 * file itself for `import.meta.url`/`__file__` (resolve(file, '..') is its folder); otherwise the
 * file's path too, which is the most lenient guess, so only certain escapes are reported.
 */
function baseOf(root: string, abs: string, args: string): string {
  const first = args.split(',')[0]!.trim();
  if (/^(?:repoRoot|REPO_ROOT|REPO|ROOT|root|process\.cwd\(\))$/.test(first)) return root;
  if (/__dirname|path\.dirname\(/.test(first)) return path.dirname(abs);
  return abs;
}

/** The finder and its test quote escapes on purpose, as examples. */
const SELF = new Set(['tests/scripts/repo-paths.ts', 'tests/scripts/repo-paths.test.ts']);

export function findEscapes(root: string, files = listRepoFiles(root)): PathEscape[] {
  return files.filter((f) => !SELF.has(f)).flatMap((file) => scanText(root, file, fs.readFileSync(path.join(root, file), 'utf8')));
}
