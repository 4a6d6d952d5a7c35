import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowFileText } from './workflow-build.js';
import { WORKFLOW_NAMES } from './workflow-types.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../../workflows');

describe('committed workflows/*.json', () => {
  if (process.env.UPDATE_WORKFLOWS === '1') {
    fs.mkdirSync(dir, { recursive: true });
    for (const name of WORKFLOW_NAMES) fs.writeFileSync(path.join(dir, `${name}.json`), workflowFileText(name));
  }

  it.each(WORKFLOW_NAMES)('%s.json equals what workflow-build.ts produces (UPDATE_WORKFLOWS=1 rewrites)', (name) => {
    expect(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')).toBe(workflowFileText(name));
  });
});
