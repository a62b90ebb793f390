#!/usr/bin/env node
// voxseg CLI shim: register tsx so the TypeScript sources run directly, then run the CLI.
// Works from any cwd (paths resolve relative to this file) and via `npx voxseg` after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
process.exitCode = await runCli(process.argv.slice(2));
