/**
 * Judge one run against the contract of the issue: exit 0 or 1 (never a signal, a hang or a
 * kill for memory); on exit 1 a message naming the file and a cause; never a stack trace or an
 * "unexpected error"; no temporary or half-written file left behind; a failed run leaves the
 * previous output byte-identical (or no output); a written output is complete (a NIfTI holds
 * all its voxels and its gzip checks out, a DICOM file parses to its end, an STL has all its
 * triangles); plus the case's own expectation (exit, cause, time, peak RSS).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import dicomParser from 'dicom-parser';
import type { Case } from './types';
import type { SpawnResult } from './spawn';

/** Every file under `dir` (relative paths), the runner's own `.rss` aside. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.name !== '.rss') out.push(relative(base, p));
  }
  return out;
}

function niftiComplete(bytes: Uint8Array): string | undefined {
  if (bytes.length < 352) return `NIfTI of ${bytes.length} bytes`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = dv.getInt32(0, true) === 348;
  if (!le && dv.getInt32(0, false) !== 348) return 'no NIfTI-1 header';
  const ndim = dv.getInt16(40, le);
  let count = 1;
  for (let i = 1; i <= Math.min(ndim, 7); i++) count *= dv.getInt16(40 + 2 * i, le);
  const need = dv.getFloat32(108, le) + (count * dv.getInt16(72, le)) / 8;
  return bytes.length < need ? `NIfTI holds ${bytes.length} of ${need} bytes` : undefined;
}

/** Why a written output file is incomplete, or undefined when it is whole. */
export function incomplete(path: string): string | undefined {
  const bytes = readFileSync(path);
  try {
    if (path.endsWith('.nii.gz')) return niftiComplete(gunzipSync(bytes));
    if (path.endsWith('.nii')) return niftiComplete(bytes);
    if (path.endsWith('.dcm')) {
      dicomParser.parseDicom(bytes);
      return bytes.length > 132 && bytes.toString('latin1', 128, 132) === 'DICM' ? undefined : 'no DICM prefix';
    }
    if (path.endsWith('.stl')) {
      const n = bytes.length >= 84 ? bytes.readUInt32LE(80) : -1;
      return bytes.length === 84 + 50 * n ? undefined : `STL of ${bytes.length} bytes for ${n} triangles`;
    }
    if (path.endsWith('.json')) JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    return `${basename(path)} does not read back: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

const TEMP = /\.(part|tmp|temp)\b|~$|\.voxseg-|\.partial/i;

/** Path-like arguments a message could name (the inputs and outputs of the case). */
function namesFor(args: string[]): string[] {
  return args.filter((a) => a.includes('/')).flatMap((a) => [a, basename(a)]);
}

export function judge(c: Case, dir: string, args: string[], before: string[], r: SpawnResult, limitS: number) {
  const problems: string[] = [];
  const details: string[] = [];
  const text = `${r.stderr}\n${r.stdout}`;
  const add = (kind: string, detail: string) => {
    if (!problems.includes(kind)) problems.push(kind);
    details.push(`${kind}: ${detail}`);
  };
  if (r.timedOut) add('hang', `still running after ${limitS} s`);
  else if (r.memoryKilled) add('memory', `killed above the memory ceiling (peak ${Math.round(r.rssMb)} MiB)`);
  else if (r.signal) add('signal', `ended by ${r.signal}`);
  else if (r.exit !== 0 && r.exit !== 1) add('exit', `exit ${r.exit}`);
  if (/^\s+at .+/m.test(r.stderr) || /unexpected error/i.test(text))
    add('stack', firstLine(r.stderr, /unexpected error|^\s+at /m));
  if (r.exit === 1) {
    const names = namesFor(args);
    const line = r.stderr.trim();
    if (!names.some((n) => line.includes(n)))
      add('unnamed', `message names no input: ${JSON.stringify(line.slice(0, 160))}`);
    else if (line.length < 12) add('unnamed', `no cause: ${JSON.stringify(line)}`);
  }

  // what the run left behind
  const outputs = (c.outputs ?? []).map((o) => join(dir, o));
  const after = existsSync(dir) ? listFiles(dir) : [];
  const known = new Set(before);
  for (const f of after) {
    if (known.has(f)) continue;
    const full = join(dir, f);
    const allowed = outputs.some(
      (o) => full === o || full.startsWith(o + '/') || full === o.replace(/\.nii(\.gz)?$/, '.json'),
    );
    if (!allowed || TEMP.test(f)) add('leftover', `${f} left behind`);
  }
  if (c.previous && outputs[0]) {
    if (r.exit !== 0) {
      if (!existsSync(outputs[0]) || !readFileSync(outputs[0]).equals(c.previous))
        add('clobbered', `the previous ${basename(outputs[0])} was changed by a failed run`);
    } else if (existsSync(outputs[0]) && readFileSync(outputs[0]).equals(c.previous)) {
      add('expectation', `exit 0 but the previous ${basename(outputs[0])} was not replaced`);
    }
  } else if (r.exit !== 0) {
    for (const o of outputs)
      if (existsSync(o) && statSync(o).isFile() && !before.includes(relative(dir, o)))
        add('clobbered', `a failed run left ${basename(o)}`);
  }
  if (r.exit === 0)
    for (const o of outputs) {
      if (!existsSync(o)) continue;
      const files = statSync(o).isDirectory() ? listFiles(o).map((f) => join(o, f)) : [o];
      for (const f of files) {
        const why = incomplete(f);
        if (why) add('incomplete', why);
      }
    }

  // the failure class's own expectation, matched with the case's folder names blanked out (they
  // repeat the case id: 'j2k', 'duplicate', 'frames' in a path must not satisfy a cause)
  const e = c.expect ?? {};
  const root = dirname(dirname(dir));
  const said = text.split(root).join('<tmp>').split(basename(dir)).join('<case>');
  const exitOk = e.exit === undefined || e.exit === 'any' ? r.exit === 0 || r.exit === 1 : r.exit === e.exit;
  if (!exitOk && !problems.some((p) => ['hang', 'memory', 'signal', 'exit'].includes(p)))
    add('expectation', `exit ${r.exit}, expected ${e.exit}: ${JSON.stringify(r.stderr.trim().slice(0, 200))}`);
  if (e.cause && !e.cause.test(said))
    add('expectation', `output lacks ${e.cause}: ${JSON.stringify(said.trim().slice(0, 200))}`);
  if (e.absent && e.absent.test(text)) add('expectation', `output shows ${e.absent}`);
  const extra = r.exit === 0 ? c.verify?.(dir) : undefined;
  if (extra) add('expectation', extra);
  if (e.maxSeconds && r.cpuSeconds > e.maxSeconds)
    add('slow', `${r.cpuSeconds.toFixed(1)} s of CPU > ${e.maxSeconds} s (wall ${r.seconds.toFixed(1)} s)`);
  if (e.maxRssMb && r.rssMb > e.maxRssMb) add('memory', `peak RSS ${Math.round(r.rssMb)} MiB > ${e.maxRssMb} MiB`);
  return { problems, details };
}

function firstLine(s: string, re: RegExp): string {
  return (
    s
      .split('\n')
      .find((l) => re.test(l))
      ?.trim()
      .slice(0, 160) ?? ''
  );
}
