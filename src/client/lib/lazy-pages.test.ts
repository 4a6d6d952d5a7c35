/**
 * The first paint loads only the shell: walking the static (non-type) imports from main.tsx
 * reaches no page module and no zod. Pages and what only they use come in through lazy-pages.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLIENT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec).replace(/\.js$/, '');
  for (const ext of ['.ts', '.tsx']) if (fs.existsSync(base + ext)) return base + ext;
  return null;
}

/** Every module reachable by static value imports (`import type` and `import()` do not load code). */
function eagerGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) {
        const target = resolve(file, spec);
        if (target) visit(target);
      } else packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(entry);
  return { files, packages };
}

describe('initial bundle', () => {
  const { files, packages } = eagerGraph(path.join(CLIENT, 'main.tsx'));

  it('reaches the pages only lazily', () => {
    expect(files.has(path.join(CLIENT, 'lib', 'lazy-pages.ts'))).toBe(true);
    expect([...files].filter((f) => f.includes(`${path.sep}pages${path.sep}`))).toEqual([]);
  });

  it('does not load zod', () => {
    expect(packages.has('zod')).toBe(false);
    expect(packages.has('react')).toBe(true); // the walk does see packages
  });
});
