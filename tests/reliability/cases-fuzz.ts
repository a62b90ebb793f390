/**
 * Seeded byte damage of good files: XOR flips (1–4 bytes, anywhere or inside the header) and
 * truncations, of every input kind a verb reads — DICOM slices (inside a copy of the series),
 * .nii.gz, .nii, label maps, SEG, manifest.json and the ONNX file (with the manifest's sha256
 * removed, so the damage reaches the ONNX reader rather than the checksum). Same seed, same
 * cases. Where the damage has an unambiguous reference answer the case demands it: a gzip file
 * that zlib rejects (CRC, ISIZE, broken stream) must be refused; a truncated .nii, SEG or ONNX
 * must be refused. Everything else only has to meet the general contract.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mulberry32 } from '../../src/phantom/prng';
import type { Base } from './fixtures';
import { copyDir } from './fixtures';
import type { Case, Expectation, Verb } from './types';

type Rnd = () => number;
const int = (rnd: Rnd, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo));

export function flip(bytes: Uint8Array, rnd: Rnd, lo = 0, hi = bytes.length): Uint8Array {
  const b = bytes.slice();
  const n = int(rnd, 1, 5);
  for (let i = 0; i < n; i++) b[int(rnd, lo, Math.min(hi, b.length))] ^= int(rnd, 1, 256);
  return b;
}

export function truncate(bytes: Uint8Array, rnd: Rnd, lo = 0): Uint8Array {
  return bytes.slice(0, int(rnd, lo, bytes.length - 1));
}

/** zlib as the reference: a gzip file it rejects must be refused; one it reads is fine either way. */
export function gzipExpectation(damaged: Uint8Array, good: Uint8Array): Expectation {
  try {
    gunzipSync(damaged); // zlib checks the CRC and ISIZE: what it accepts may be read or refused
    void good;
    return { exit: 'any' };
  } catch {
    return { exit: 1 };
  }
}

interface Family {
  name: string;
  file: string; // the good file
  count: number;
  verbs: Verb[];
  /** 'flip' | 'header' (flip within [0, headerEnd)) | 'truncate' */
  mode: 'flip' | 'header' | 'truncate';
  headerEnd?: number;
  /** Build the case folder and return the command's arguments. */
  place: (dir: string, damaged: Uint8Array) => string[];
  outputs?: (verb: Verb) => string[];
  expect?: (damaged: Uint8Array, good: Uint8Array) => Expectation | undefined;
  skip?: string;
}

function familyCases(f: Family, seed: number): Case[] {
  const cases: Case[] = [];
  const rnd = mulberry32(seed);
  let good: Uint8Array | undefined;
  for (let i = 0; i < f.count; i++) {
    const verb = f.verbs[i % f.verbs.length];
    const sub = mulberry32(int(rnd, 1, 2 ** 31));
    let damaged: Uint8Array | undefined;
    let args: string[] = [];
    const id = `fuzz/${f.name}/${f.mode}-${String(i).padStart(3, '0')}-${verb}`;
    const make = () => {
      good ??= new Uint8Array(readFileSync(f.file));
      if (!damaged)
        damaged =
          f.mode === 'truncate'
            ? truncate(good, sub)
            : flip(good, sub, 0, f.mode === 'header' ? (f.headerEnd ?? 1024) : good.length);
      return damaged;
    };
    const c: Case = {
      id,
      verb,
      group: 'fuzz',
      skip: f.skip,
      outputs: f.outputs?.(verb),
      setup: (dir) => {
        args = f.place(dir, make());
        const e = f.expect?.(make(), good!);
        if (e) c.expect = e;
        if (e?.exit === 1 && verb === 'info')
          c.debatable = 'info lists series: if it reads only headers it may not see damage to the data';
      },
      args: () => args,
    };
    cases.push(c);
  }
  return cases;
}

const out = (verb: Verb): string[] =>
  verb === 'convert' || verb === 'segment' || verb === 'import-seg'
    ? ['out.nii.gz']
    : verb === 'mesh'
      ? ['mesh']
      : verb === 'export-seg'
        ? ['out.dcm']
        : [];

/** The verb's arguments around an input path. */
function argsFor(verb: Verb, input: string, dir: string, b: Base, model = b.model): string[] {
  if (verb === 'info') return [input];
  if (verb === 'convert') return [input, '-o', join(dir, 'out.nii.gz')];
  if (verb === 'segment') return [input, '-m', model, '-o', join(dir, 'out.nii.gz')];
  if (verb === 'mesh') return [input, '-o', join(dir, 'mesh'), '--smooth', '2'];
  if (verb === 'export-seg') return [input, '--ref', b.series, '-o', join(dir, 'out.dcm')];
  return [input, '--ref', b.series, '-o', join(dir, 'out.nii.gz')];
}

/**
 * Damage may split a series in two (a flipped SeriesInstanceUID): convert and segment then need
 * `--series` (exit 2, usage, by design), so DICOM folders get `--series 0`.
 */
function withSeries(verb: Verb, args: string[]): string[] {
  return (verb === 'convert' || verb === 'segment') && args[0].endsWith('/series') ? [...args, '--series', '0'] : args;
}

export function fuzzCases(b: Base, shared: string | undefined): Case[] {
  const write = (dir: string, name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const gz = (d: Uint8Array, g: Uint8Array) => gzipExpectation(d, g);
  const refuse = (): Expectation => ({ exit: 1 });
  /** A copy of the series with slice `victim` replaced by the damaged bytes. */
  const series = (from: string, files: string[]) => (dir: string, d: Uint8Array) => {
    const s = join(dir, 'series');
    copyDir(from, s);
    writeFileSync(join(s, files[Math.floor(files.length / 2)]), d);
    return s;
  };
  const families: Family[] = [];
  const fam = (f: Omit<Family, 'place'> & { place?: Family['place'] }, place: (dir: string, d: Uint8Array) => string) =>
    families.push({
      outputs: out,
      ...f,
      place: f.place ?? ((dir, d) => withSeries(f.verbs[0], argsFor(f.verbs[0], place(dir, d), dir, b))),
    });

  // Each family's place() builds arguments for every verb of the family.
  const multi = (f: Omit<Family, 'place'>, input: (dir: string, d: Uint8Array) => string) => {
    for (const verb of f.verbs)
      fam({ ...f, name: `${f.name}`, verbs: [verb], count: Math.ceil(f.count / f.verbs.length) }, input);
  };
  const niiGz = (dir: string, d: Uint8Array) => write(dir, 'ct.nii.gz', d);
  multi({ name: 'nii-gz', file: b.niiGz, count: 30, verbs: ['info', 'convert'], mode: 'flip', expect: gz }, niiGz);
  multi(
    { name: 'nii-gz', file: b.niiGz, count: 10, verbs: ['info', 'convert'], mode: 'truncate', expect: refuse },
    niiGz,
  );
  const nii = (dir: string, d: Uint8Array) => write(dir, 'ct.nii', d);
  multi({ name: 'nii', file: b.nii, count: 24, verbs: ['info', 'convert'], mode: 'header', headerEnd: 352 }, nii);
  multi({ name: 'nii', file: b.nii, count: 6, verbs: ['info', 'convert'], mode: 'truncate', expect: refuse }, nii);
  const mid = join(b.series, b.seriesFiles[Math.floor(b.seriesFiles.length / 2)]);
  const dcm = series(b.series, b.seriesFiles);
  multi({ name: 'dicom', file: mid, count: 20, verbs: ['info', 'convert'], mode: 'header', headerEnd: 1100 }, dcm);
  multi({ name: 'dicom', file: mid, count: 6, verbs: ['convert', 'segment'], mode: 'flip' }, dcm);
  multi({ name: 'dicom', file: mid, count: 6, verbs: ['info', 'convert'], mode: 'truncate' }, dcm);
  // the damaged slice alone: nothing else to fall back on; a cut slice (pixel data last) must be refused
  const one = (dir: string, d: Uint8Array) => write(dir, 'slice.dcm', d);
  const slice = { name: 'dicom-file', file: mid, verbs: ['info', 'convert'] as Verb[] };
  multi({ ...slice, count: 12, mode: 'header', headerEnd: 1100 }, one);
  multi({ ...slice, count: 4, mode: 'flip' }, one);
  multi({ ...slice, count: 6, mode: 'truncate', expect: refuse }, one);
  const lab = (dir: string, d: Uint8Array) => write(dir, 'labels.nii.gz', d);
  multi({ name: 'labels', file: b.labels, count: 20, verbs: ['mesh', 'export-seg'], mode: 'flip', expect: gz }, lab);
  const seg = (dir: string, d: Uint8Array) => write(dir, 'seg.dcm', d);
  fam({ name: 'seg', file: b.seg, count: 16, verbs: ['import-seg'], mode: 'header', headerEnd: 6000 }, seg);
  fam({ name: 'seg', file: b.seg, count: 9, verbs: ['import-seg'], mode: 'flip' }, seg);
  fam({ name: 'seg', file: b.seg, count: 8, verbs: ['import-seg'], mode: 'truncate', expect: refuse }, seg);
  const manifest = join(b.model, 'manifest.json');
  const withManifest = (dir: string, d: Uint8Array) => {
    const m = join(dir, 'model');
    copyDir(b.model, m);
    writeFileSync(join(m, 'manifest.json'), d);
    return argsFor('segment', b.niiGz, dir, b, m);
  };
  families.push({
    name: 'manifest',
    file: manifest,
    count: 15,
    verbs: ['segment'],
    mode: 'flip',
    place: withManifest,
    outputs: out,
  });
  const withOnnx = (dir: string, d: Uint8Array) => {
    const m = join(dir, 'model');
    copyDir(b.model, m);
    const json = JSON.parse(readFileSync(manifest, 'utf8'));
    delete json.model.sha256;
    writeFileSync(join(m, 'manifest.json'), JSON.stringify(json, null, 2));
    writeFileSync(join(m, 'model.onnx'), d);
    return argsFor('segment', b.niiGz, dir, b, m);
  };
  const onnx = join(b.model, 'model.onnx');
  families.push({
    name: 'onnx',
    file: onnx,
    count: 15,
    verbs: ['segment'],
    mode: 'flip',
    place: withOnnx,
    outputs: out,
  });
  families.push({
    name: 'onnx',
    file: onnx,
    count: 5,
    verbs: ['segment'],
    mode: 'truncate',
    place: withOnnx,
    outputs: out,
    expect: refuse,
  });

  // a few real files, when the reference data is there
  const skip = shared ? undefined : 'reference data ../shared/data not found';
  const real = (rel: string) => (shared ? join(shared, rel) : join('/nonexistent', rel));
  const ge = real('dicom/ct-3slice-ge');
  multi(
    {
      name: 'real-ge',
      file: join(ge, '01.dcm'),
      count: 6,
      verbs: ['info', 'convert'],
      mode: 'header',
      headerEnd: 4000,
      skip,
    },
    (dir, d) => {
      const s = join(dir, 'series');
      copyDir(ge, s);
      writeFileSync(join(s, '01.dcm'), d);
      return s;
    },
  );
  const mr = real('nifti/mr/example_mr_sm.nii.gz');
  multi({ name: 'real-mr', file: mr, count: 4, verbs: ['info', 'convert'], mode: 'flip', skip, expect: gz }, (dir, d) =>
    write(dir, basename(mr), d),
  );
  const liver = real('dicom/seg-dcmqi/liver.dcm');
  fam({ name: 'real-seg', file: liver, count: 4, verbs: ['info'], mode: 'header', headerEnd: 8000, skip }, (dir, d) =>
    write(dir, 'liver.dcm', d),
  );
  const j2k = real('dicom/ct-abdomen-j2k');
  const j2kFile = shared ? join(j2k, 'CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573') : j2k;
  fam({ name: 'real-j2k', file: j2kFile, count: 6, verbs: ['convert'], mode: 'flip', skip }, (dir, d) => {
    const s = join(dir, 'series');
    copyDir(j2k, s);
    writeFileSync(join(s, basename(j2kFile)), d);
    return s;
  });

  return families.flatMap((f, i) => familyCases(f, 1000 + i));
}
