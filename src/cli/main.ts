/**
 * voxseg command-line entry. `runCli(argv, io)` returns the exit status:
 * 0 ok, 1 bad input (message names the file and cause, no stack trace), 2 usage.
 * Set VOXSEG_DEBUG=1 to print stack traces of unexpected errors.
 */
import { readFileSync } from 'node:fs';
import { VoxsegError } from '../core/errors';
import { convertCommand } from './commands/convert';
import { exportSegCommand } from './commands/export-seg';
import { importSegCommand } from './commands/import-seg';
import { importModelCommand } from './commands/import-model';
import { infoCommand } from './commands/info';
import { meshCommand } from './commands/mesh';
import { phantomCommand } from './commands/phantom';
import { datasetCommand } from './commands/dataset';
import { segmentCommand } from './commands/segment';
import { evaluateCommand } from './commands/evaluate';
import { serveCommand } from './commands/serve';
import { pullCommand } from './commands/pull';
import { pushCommand } from './commands/push';
import { processIO, type CliIO, type Command } from './util';
import { applyMemoryCeiling } from './limits';

const COMMANDS: Command[] = [
  infoCommand,
  convertCommand,
  phantomCommand,
  datasetCommand,
  segmentCommand,
  evaluateCommand,
  meshCommand,
  exportSegCommand,
  importSegCommand,
  importModelCommand,
  serveCommand,
  pullCommand,
  pushCommand,
];

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: voxseg <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'voxseg <command> --help' for the options of a command.",
    '',
  ].join('\n');
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const cmd = COMMANDS.find((c) => c.name === rest[0]);
    io.out(cmd && name === 'help' ? cmd.help : overview());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`voxseg ${version()}\n`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`voxseg: unknown command ${JSON.stringify(name)}\n\n${overview()}`);
    return 2;
  }
  try {
    applyMemoryCeiling();
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof VoxsegError) {
      io.err(`voxseg ${cmd.name}: ${err.message}\n`);
      if (err.code === 'usage') {
        io.err(`Run 'voxseg ${cmd.name} --help' for usage.\n`);
        return 2;
      }
      return 1;
    }
    const msg = err instanceof Error ? err.message : String(err);
    io.err(`voxseg ${cmd.name}: unexpected error: ${msg}\n`);
    if (process.env.VOXSEG_DEBUG && err instanceof Error && err.stack) io.err(err.stack + '\n');
    return 1;
  }
}
