#!/usr/bin/env node
// Run a TypeScript file with tsx: `node bin/run-ts.js path/to/file.ts [args...]`
// (used by `npm run bench`). The script sees itself as process.argv[1] and its own args after.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { register as registerCjs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node bin/run-ts.js FILE.ts [args...]\n');
  process.exit(2);
}
register();
registerCjs(); // .ts files outside a "type": "module" package load as CommonJS
const full = resolve(process.cwd(), file);
process.argv.splice(1, 2, full);
await import(pathToFileURL(full).href);
