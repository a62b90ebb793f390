/**
 * Checks of the harness itself, run before the cases (a checker that cannot fail would make the
 * whole suite pass vacuously): the bomb builder's CRC and stream against zlib, and the judge on
 * made-up runs that break each rule once (a stack trace, a signal, a hang, an unnamed message,
 * a leftover temporary file, a clobbered earlier output, a cause found only in the case's path).
 * Returns the problems found (empty when the harness is sound).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import { crc32WithZeros, gzipWithZeros } from './bombs';
import { judge, listFiles } from './check';
import type { SpawnResult } from './spawn';
import type { Case } from './types';

export function selfTest(root: string): string[] {
  const bad: string[] = [];
  const prefix = new Uint8Array([7, 1, 2, 3]);
  for (const n of [0, 5, 1 << 20, 3 * (1 << 20) + 11]) {
    const ref = Buffer.concat([prefix, Buffer.alloc(n)]);
    if (crc32WithZeros(prefix, n) !== crc32(ref)) bad.push(`crc32WithZeros(${n}) differs from zlib`);
    if (!gunzipSync(gzipWithZeros(prefix, n)).equals(ref)) bad.push(`gzipWithZeros(${n}) does not inflate back`);
  }

  const dir = join(root, 'cases', 'selftest-j2k');
  mkdirSync(dir, { recursive: true });
  const input = join(dir, 'in.nii.gz');
  const run = (over: Partial<SpawnResult>): SpawnResult => ({
    exit: 1,
    signal: null,
    seconds: 0.5,
    cpuSeconds: 0.5,
    rssMb: 100,
    timedOut: false,
    memoryKilled: false,
    stdout: '',
    stderr: `voxseg info: ${input}: not a NIfTI file\n`,
    ...over,
  });
  const c: Case = { id: 'selftest', verb: 'convert', group: 'selftest', args: () => [], outputs: ['out.nii'] };
  const expectProblem = (what: string, kind: string, r: SpawnResult, cs: Case = c, before: string[] = []) => {
    const { problems } = judge(cs, dir, [input, '-o', join(dir, 'out.nii')], before, r, 20);
    if (!problems.includes(kind)) bad.push(`judge missed ${what} (got ${problems.join(', ') || 'nothing'})`);
  };
  const clean = judge(c, dir, [input], [], run({}), 20).problems;
  if (clean.length) bad.push(`judge flags a clean refusal: ${clean.join(', ')}`);
  expectProblem('a stack trace', 'stack', run({ stderr: `Error: x\n    at f (file.ts:1:1)\n` }));
  expectProblem('an unexpected error', 'stack', run({ stderr: `voxseg info: unexpected error: boom (${input})` }));
  expectProblem('a signal', 'signal', run({ exit: null, signal: 'SIGSEGV' }));
  expectProblem('a hang', 'hang', run({ exit: null, signal: 'SIGKILL', timedOut: true }));
  expectProblem('exit 2', 'exit', run({ exit: 2 }));
  expectProblem('a message naming no file', 'unnamed', run({ stderr: 'voxseg info: something went wrong\n' }));
  writeFileSync(join(dir, 'out.nii.part'), 'x');
  expectProblem('a leftover temporary file', 'leftover', run({}));
  rmSync(join(dir, 'out.nii.part'));
  writeFileSync(join(dir, 'out.nii'), 'half');
  const prev: Case = { ...c, previous: new Uint8Array([1, 2, 3]) };
  expectProblem('a clobbered earlier output', 'clobbered', run({}), prev, listFiles(dir));
  expectProblem('a half-written output on exit 0', 'incomplete', run({ exit: 0, stderr: '' }));
  rmSync(join(dir, 'out.nii'));
  const cause: Case = { ...c, expect: { exit: 1, cause: /j2k/i } };
  expectProblem('a cause found only in the case folder name', 'expectation', run({}), cause);
  expectProblem('a slow bomb', 'slow', run({ cpuSeconds: 3 }), { ...c, expect: { maxSeconds: 2 } });
  rmSync(dir, { recursive: true, force: true });
  return bad;
}
