/**
 * Manifests and paths: patch, batch or conform sizes beyond any memory budget (refused in under
 * 2 s, under 500 MiB), manifest paths leaving the model folder (relative, absolute, a symlink,
 * the pre-model, the report), model files that are devices or named pipes, a corrupted ONNX,
 * channels disagreeing with the graph; named pipes wherever a verb reads a path.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FAST, mkfifo, RES } from './cases-hostile';
import type { Base } from './fixtures';
import { copyDir } from './fixtures';
import type { Case, Verb } from './types';

const BUDGET = /memory|budget|GiB|GB/i;

/** A copy of the model folder with its manifest edited by `edit`. */
function model(b: Base, dir: string, edit: (m: any, folder: string) => void): string {
  const m = join(dir, 'model');
  copyDir(b.model, m);
  const json = JSON.parse(readFileSync(join(m, 'manifest.json'), 'utf8'));
  edit(json, m);
  writeFileSync(join(m, 'manifest.json'), JSON.stringify(json, null, 2));
  return m;
}

export function manifestCases(b: Base): Case[] {
  const out: Case[] = [];
  const add = (id: string, edit: (m: any, folder: string) => void, extra: Partial<Case>) =>
    out.push({
      id: `manifest/${id}`,
      verb: 'segment',
      group: 'manifest',
      args: (dir) => [b.niiGz, '-m', model(b, dir, edit), '-o', join(dir, 'out.nii.gz')],
      outputs: ['out.nii.gz'],
      area: RES,
      ...extra,
    });
  const budget = { expect: { exit: 1 as const, cause: BUDGET, ...FAST } };
  const cls = 'oversized manifests killed by the kernel instead of refused by the memory budget';
  add('patch-512', (m) => (m.preprocessing.patch = [512, 512, 512]), { ...budget, issueClass: cls });
  add('patch-1024', (m) => (m.preprocessing.patch = [1024, 1024, 1024]), { ...budget, issueClass: cls });
  add('batch-64', (m) => ((m.preprocessing.batch = 64), (m.preprocessing.patch = [160, 160, 160])), {
    ...budget,
    issueClass: cls,
  });
  add(
    'conform-1200',
    (m) => {
      m.preprocessing = {
        mode: 'whole-volume',
        conform: { dims: [1200, 1200, 1200], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
        normalization: { kind: 'minmax' },
      };
    },
    { ...budget, issueClass: cls },
  );
  const outside = /inside the model folder|outside/i;
  const noRead = /sha256 [0-9a-f]{8}|root:x:0/;
  add('file-etc-passwd', (m) => ((m.model.file = '../../../../etc/passwd'), delete m.model.sha256), {
    expect: { exit: 1, cause: outside, absent: noRead },
    issueClass: 'model.file "../../../../etc/passwd" is read and its sha256 printed',
  });
  add('file-absolute', (m) => (m.model.file = '/etc/passwd'), {
    expect: { exit: 1, cause: outside, absent: noRead },
    issueClass: 'model.file outside the model folder',
  });
  add(
    'file-symlink-out',
    (m, folder) => {
      symlinkSync('/etc/passwd', join(folder, 'link.onnx'));
      m.model.file = 'link.onnx';
      delete m.model.sha256;
    },
    {
      expect: { exit: 1, cause: outside, absent: noRead },
      issueClass: 'model.file outside the model folder',
      debatable: 'a symlink inside the folder pointing outside: refused here as an escape; it could be allowed',
    },
  );
  add(
    'premodel-outside',
    (m) => {
      // a pre-model is read in whole-volume mode only
      m.preprocessing = {
        mode: 'whole-volume',
        conform: { dims: [64, 64, 64], spacing: [1, 1, 1], orientation: 'LIA', dtype: 'uint8' },
        normalization: { kind: 'minmax' },
        crop: { preModel: { file: '../../../../etc/passwd', channels: 3, normalization: { kind: 'minmax' } } },
      };
    },
    {
      expect: { exit: 1, cause: outside, absent: noRead },
      issueClass: 'every path in a manifest resolves inside the model folder',
    },
  );
  add('report-outside', (m) => (m.report = '../../../../etc/passwd'), {
    expect: { exit: 'any', absent: /root:x:0/ },
  });
  add('file-dev-zero', (m) => ((m.model.file = '/dev/zero'), delete m.model.sha256), {
    expect: { exit: 1, ...FAST },
    timeoutSeconds: 10,
    issueClass: 'model.file pointing at /dev/zero hangs forever',
  });
  add(
    'file-named-pipe',
    (m, folder) => {
      mkfifo(join(folder, 'pipe.onnx'));
      m.model.file = 'pipe.onnx';
      delete m.model.sha256;
    },
    {
      expect: { exit: 1, cause: /pipe|not a regular/i },
      timeoutSeconds: 10,
      issueClass: 'model.file a named pipe hangs',
    },
  );
  add(
    'corrupted-onnx',
    (m, folder) => {
      const junk = new Uint8Array(2000).map((_, i) => (i * 7919 + 13) & 0xff);
      writeFileSync(join(folder, 'model.onnx'), junk);
      delete m.model.sha256;
    },
    {
      expect: { exit: 1, cause: /onnx/i },
      issueClass: 'a corrupted ONNX reaches the user as "unexpected error: … protobuf parsing failed"',
    },
  );
  add('channels-disagree', (m) => ((m.model.channels = 4), delete m.model.sha256), {
    expect: { exit: 1, cause: /model\.onnx[\s\S]*channel|channel[\s\S]*model\.onnx/i },
    issueClass: 'a manifest whose output channels disagree with the ONNX graph is not refused before loading',
    debatable:
      'the message must name both files; checked: names model.onnx and channels (manifest path checked by the general rule)',
  });
  out.push({
    id: 'manifest/onnx-flag-dev-zero',
    verb: 'segment',
    group: 'manifest',
    args: (dir) => [b.niiGz, '-m', b.model, '--onnx', '/dev/zero', '-o', join(dir, 'out.nii.gz')],
    outputs: ['out.nii.gz'],
    timeoutSeconds: 10,
    expect: { exit: 1, cause: /device/i, ...FAST },
    issueClass: 'model.file pointing at /dev/zero hangs forever',
    area: RES,
  });
  return out;
}

export function pipeCases(b: Base): Case[] {
  const out: Case[] = [];
  const cause = /named pipe|not a regular/i;
  /** `name`: the pipe's file name, with the extension the verb expects there. */
  const add = (id: string, verb: Verb, name: string, args: (p: string, dir: string) => string[], outputs: string[]) =>
    out.push({
      id: `pipe/${id}`,
      verb,
      group: 'pipe',
      setup: (dir) => {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        mkfifo(join(dir, name));
      },
      args: (dir) => args(join(dir, name), dir),
      outputs,
      timeoutSeconds: 10,
      expect: { exit: 1, cause, ...FAST },
      issueClass: 'label maps or SEG paths that are named pipes hang forever',
      area: RES,
    });
  const o = (d: string, f: string) => join(d, f);
  add('info', 'info', 'pipe.nii.gz', (p) => [p], []);
  add('convert', 'convert', 'pipe.nii.gz', (p, d) => [p, '-o', o(d, 'out.nii.gz')], ['out.nii.gz']);
  add('segment-input', 'segment', 'pipe.nii.gz', (p, d) => [p, '-m', b.model, '-o', o(d, 'o.nii.gz')], ['o.nii.gz']);
  add('segment-manifest', 'segment', 'm/manifest.json', (p, d) => [b.niiGz, '-m', p, '-o', o(d, 'o.nii.gz')], [
    'o.nii.gz',
  ]);
  add(
    'segment-model-dir',
    'segment',
    'm/manifest.json',
    (_p, d) => [b.niiGz, '-m', o(d, 'm'), '-o', o(d, 'o.nii.gz')],
    ['o.nii.gz'],
  );
  add('segment-onnx', 'segment', 'pipe.onnx', (p, d) => [b.niiGz, '-m', b.model, '--onnx', p, '-o', o(d, 'o.nii.gz')], [
    'o.nii.gz',
  ]);
  add('mesh-labels', 'mesh', 'pipe.nii.gz', (p, d) => [p, '-o', o(d, 'mesh')], ['mesh']);
  add('mesh-names', 'mesh', 'pipe.json', (p, d) => [b.labels, '-o', o(d, 'mesh'), '--names', p], ['mesh']);
  add('export-seg-labels', 'export-seg', 'pipe.nii.gz', (p, d) => [p, '--ref', b.series, '-o', o(d, 'o.dcm')], [
    'o.dcm',
  ]);
  add(
    'export-seg-table',
    'export-seg',
    'pipe.json',
    (p, d) => [b.labels, '--ref', b.series, '-o', o(d, 'o.dcm'), '--labels', p],
    ['o.dcm'],
  );
  add('import-seg-seg', 'import-seg', 'pipe.dcm', (p, d) => [p, '--ref', b.series, '-o', o(d, 'o.nii.gz')], [
    'o.nii.gz',
  ]);
  add('import-seg-ref', 'import-seg', 'pipe.dcm', (p, d) => [b.seg, '--ref', p, '-o', o(d, 'o.nii.gz')], ['o.nii.gz']);
  // a pipe among the files of a series folder: the series loads, the pipe is named, nothing blocks
  for (const verb of ['info', 'convert'] as const)
    out.push({
      id: `pipe/inside-series-${verb}`,
      verb,
      group: 'pipe',
      setup: (dir) => {
        copyDir(b.series, join(dir, 's'));
        mkfifo(join(dir, 's', 'IM9999.dcm'));
      },
      args: (d) => (verb === 'info' ? [join(d, 's')] : [join(d, 's'), '-o', join(d, 'out.nii.gz')]),
      outputs: verb === 'info' ? [] : ['out.nii.gz'],
      timeoutSeconds: 10,
      expect: { exit: 'any', cause },
      area: RES,
      debatable: 'the series loads (exit 0); the pipe must be named as skipped',
    });
  out.push({
    id: 'pipe/dev-zero-info',
    verb: 'info',
    group: 'pipe',
    args: () => ['/dev/zero'],
    timeoutSeconds: 10,
    expect: { exit: 1, cause: /device/i, ...FAST },
    area: RES,
  });
  return out;
}
