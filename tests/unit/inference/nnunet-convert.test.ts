/**
 * The conversion worker and its client, in-process (the worker's `serveConversion` behind a
 * Worker-shaped object over a MessageChannel): progress reaches the caller, a folder's files are
 * read only when the importer asks, a zip goes through the real zip reader (a truncated one fails naming the zip),
 * the result carries the converted network's cost, cancel rejects at once and terminates the
 * worker, every finished job terminates its worker, and picked files are told apart (zip / folder).
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { NnunetConverter, convertSourceOf } from '../../../src/inference/nnunet/convert-client';
import { serveConversion, type ConvertDeps } from '../../../src/inference/nnunet/convert-worker';
import type { NnunetImportResult } from '../../../src/inference/nnunet/import';
import type { SourceFile } from '../../../src/inference/nnunet/types';
import { sourceFilesFromZip } from '../../../src/inference/nnunet/zip';
import { parseManifest } from '../../../src/inference/manifest';
import { OnnxGraph } from '../../../src/inference/onnx/writer';
import { FakeWorker } from '../helpers/rpc-worker';

/** A worker running serveConversion in this thread (over a MessageChannel); records terminate(). */
class InProcessWorker extends FakeWorker {
  constructor(deps: ConvertDeps) {
    super((scope) => serveConversion(scope, deps));
  }
}

function tinyOnnx(): Uint8Array {
  const g = new OnnxGraph('t');
  g.input('input', 'float32', [1, 1, 'd', 'h', 'w']);
  g.initializer('w', new Float32Array(3 * 27).fill(0.1), [3, 1, 3, 3, 3]);
  g.node('Conv', ['input', 'w'], ['output'], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1] });
  g.output('output', 'float32', [1, 3, 'd', 'h', 'w']);
  return g.toBytes();
}

const manifest = parseManifest({
  schema: 'voxseg-model/1',
  id: 'dataset999-3d_fullres',
  name: 'Dataset999_Test (3d_fullres)',
  version: '1',
  license: 'CC-BY-4.0',
  provenance: { source: 'test' },
  intended: { modality: ['CT'], bodyPart: 'abdomen' },
  model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 3 },
  labels: [
    { value: 1, name: 'liver', color: [1, 2, 3] },
    { value: 2, name: 'spleen', color: [4, 5, 6] },
  ],
  preprocessing: {
    mode: 'sliding-window',
    spacing: [3, 3, 3],
    orientation: 'RAS',
    patch: [32, 32, 32],
    normalization: { kind: 'none' },
  },
  postprocessing: { activation: 'softmax', decision: 'argmax' },
});

/** An importer that reads plans.json and the checkpoint, reporting progress, as the real one does. */
function fakeImporter(read: string[], hang?: Promise<void>): ConvertDeps['importNnunet'] {
  return async (files: readonly SourceFile[], source: string, opts = {}): Promise<NnunetImportResult> => {
    const want = (name: string) => {
      const f = files.find((x) => x.path.endsWith(name));
      if (!f) throw new VoxsegError('invalid-model', `no ${name} found`, { file: source });
      return f;
    };
    opts.onProgress?.('Reading plans.json and dataset.json', 0, 1);
    const plans = want('plans.json');
    read.push(plans.path);
    JSON.parse(new TextDecoder().decode(await plans.read()));
    opts.onProgress?.('Reading fold 0', 0, 1);
    const ck = want('checkpoint_final.pth');
    read.push(ck.path);
    await ck.read();
    await hang;
    return { onnx: tinyOnnx(), manifest, license: 'license text', notes: ['1 fold'] };
  };
}

const blob = (text: string) => new Blob([text]);
const folder = (root = 'Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres') => [
  { path: `${root}/plans.json`, blob: blob('{"plans": 1}') },
  { path: `${root}/dataset.json`, blob: blob('{}') },
  { path: `${root}/fold_0/checkpoint_final.pth`, blob: blob('weights') },
  { path: `${root}/fold_0/checkpoint_best.pth`, blob: blob('other weights') },
  { path: `${root}/fold_0/debug.json`, blob: blob('{}') },
];

describe('nnU-Net conversion worker + client', () => {
  it('converts a folder, reading only the files the importer asks for, with progress, and frees the worker', async () => {
    const read: string[] = [];
    const workers: InProcessWorker[] = [];
    const conv = new NnunetConverter(() => {
      const w = new InProcessWorker({ importNnunet: fakeImporter(read), sourceFilesFromZip });
      workers.push(w);
      return w;
    });
    const stages: string[] = [];
    const out = await conv.convert(convertSourceOf(folder()), { onProgress: (p) => stages.push(p.stage) });
    expect(stages).toContain('Reading plans.json and dataset.json');
    expect(stages).toContain('Reading fold 0');
    expect(read).toEqual([
      'Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres/plans.json',
      'Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres/fold_0/checkpoint_final.pth',
    ]);
    expect(out.manifest.id).toBe('dataset999-3d_fullres');
    expect(out.onnx).toEqual(tinyOnnx());
    expect(out.license).toBe('license text');
    expect(out.notes).toEqual(['1 fold']);
    // One 3x3x3 convolution, 1 -> 3 channels: 81 weights, 81 MACs per voxel.
    expect(out.cost).toMatchObject({ parameters: 81, macsPerVoxel: 81, convs: 1, nodes: 1, unknownConvs: 0 });
    expect(out.webgpuBlockers).toEqual([]);
    expect(workers).toHaveLength(1);
    expect(workers[0].terminated).toBe(true);
    expect(conv.busy).toBe(false);
  });

  it('reads a zip through the zip reader; a truncated zip fails naming it, and the worker is freed', async () => {
    const entries = Object.fromEntries(
      folder('Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres').map((f) => [f.path, new Uint8Array(0)]),
    );
    entries['Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres/plans.json'] = new TextEncoder().encode(
      '{"plans": 1}',
    );
    const zip = zipSync(entries);
    const read: string[] = [];
    const workers: InProcessWorker[] = [];
    const conv = new NnunetConverter(() => {
      const w = new InProcessWorker({ importNnunet: fakeImporter(read), sourceFilesFromZip });
      workers.push(w);
      return w;
    });
    const source = convertSourceOf([{ path: 'Task999_test.zip', blob: new Blob([zip]) }]);
    expect(source).toMatchObject({ kind: 'zip', name: 'Task999_test.zip' });
    const out = await conv.convert(source);
    expect(out.manifest.id).toBe('dataset999-3d_fullres');
    expect(read[0]).toBe('Dataset999_Test/nnUNetTrainer__nnUNetPlans__3d_fullres/plans.json');

    const cut = convertSourceOf([{ path: 'Task999_test.zip', blob: new Blob([zip.slice(0, zip.length - 30)]) }]);
    const err = await conv.convert(cut).then(
      () => null,
      (e: VoxsegError) => e,
    );
    expect(err).toBeInstanceOf(VoxsegError);
    expect(err!.file).toBe('Task999_test.zip');
    expect(err!.message).toMatch(/^Task999_test\.zip: zip archive is (truncated|corrupt)/);
    expect(workers.every((w) => w.terminated)).toBe(true);
  });

  it("reports the importer's error with the file it names", async () => {
    const conv = new NnunetConverter(() => new InProcessWorker({ importNnunet: fakeImporter([]), sourceFilesFromZip }));
    const files = folder().filter((f) => !f.path.endsWith('checkpoint_final.pth'));
    const err = await conv.convert(convertSourceOf(files)).then(
      () => null,
      (e: VoxsegError) => e,
    );
    expect(err?.code).toBe('invalid-model');
    expect(err?.file).toBe('Dataset999_Test');
    expect(err?.message).toBe('Dataset999_Test: no checkpoint_final.pth found');
  });

  it('cancels at once: rejects with "cancelled" and terminates the worker while the importer is still busy', async () => {
    let w: InProcessWorker | undefined;
    const never = new Promise<void>(() => {});
    const conv = new NnunetConverter(
      () => (w = new InProcessWorker({ importNnunet: fakeImporter([], never), sourceFilesFromZip })),
    );
    const stages: string[] = [];
    const abort = new AbortController();
    const job = conv.convert(convertSourceOf(folder()), {
      signal: abort.signal,
      onProgress: (p) => stages.push(p.stage),
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(stages).toContain('Reading fold 0');
    expect(conv.busy).toBe(true);
    abort.abort();
    await expect(job).rejects.toMatchObject({ code: 'cancelled' });
    expect(w!.terminated).toBe(true);
    expect(conv.busy).toBe(false);
    // A new conversion gets a fresh worker.
    const conv2 = new NnunetConverter(
      () => new InProcessWorker({ importNnunet: fakeImporter([]), sourceFilesFromZip }),
    );
    await expect(conv2.convert(convertSourceOf(folder()))).resolves.toMatchObject({
      manifest: { id: 'dataset999-3d_fullres' },
    });
  });

  it('a crashed worker is an error naming the source', async () => {
    let w: InProcessWorker | undefined;
    const conv = new NnunetConverter(
      () => (w = new InProcessWorker({ importNnunet: fakeImporter([], new Promise(() => {})), sourceFilesFromZip })),
    );
    const job = conv.convert(convertSourceOf(folder()));
    await new Promise((r) => setTimeout(r, 10));
    w!.onerror?.({ message: 'Out of memory' });
    await expect(job).rejects.toThrow(
      'Dataset999_Test: the conversion worker crashed: Out of memory (too little memory?)',
    );
    expect(w!.terminated).toBe(true);
  });
});

describe('convertSourceOf', () => {
  it('takes files holding plans.json as a folder named after their top folder', () => {
    const s = convertSourceOf(
      folder('Dataset291_TotalSegmentator_part1_organs_1559subj/nnUNetTrainer__nnUNetPlans__3d_fullres'),
    );
    expect(s.kind).toBe('folder');
    expect(s.name).toBe('Dataset291_TotalSegmentator_part1_organs_1559subj');
    expect(s.kind === 'folder' && s.files.length).toBe(5);
  });

  it('takes one zip (other files aside) as the published zip, and refuses two', () => {
    expect(
      convertSourceOf([
        { path: 'weights/Dataset291.zip', blob: blob('') },
        { path: 'weights/README.txt', blob: blob('') },
      ]),
    ).toMatchObject({ kind: 'zip', name: 'Dataset291.zip' });
    expect(() =>
      convertSourceOf([
        { path: 'a.zip', blob: blob('') },
        { path: 'b.zip', blob: blob('') },
      ]),
    ).toThrow('one model at a time, please: got a.zip, b.zip');
  });
});
