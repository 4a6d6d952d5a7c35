#!/usr/bin/env node
/**
 * `isengard` launcher. Runs the compiled CLI when `npm run build` has produced it; otherwise
 * registers tsx in this process and runs the TypeScript source, so `npx isengard` works from a
 * fresh checkout too.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = `${root}dist/tools/cli.js`;

if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  // tsx is a dev dependency: present in a checkout, which is the only place without dist/.
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(`${root}src/tools/cli.ts`).href);
}
