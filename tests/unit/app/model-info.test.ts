/**
 * The model picker's pure helpers: which picked or dropped files are a model to convert, a model
 * to load, or a study; the card's facts (grid, folds, mirroring) from an imported manifest as the
 * nnU-Net import writes it; and the estimate line.
 */
import { describe, expect, it } from 'vitest';
import { estimateText, modelFacts, modelFilesKind, quantity } from '../../../src/app/segment/model-info';
import { parseManifest } from '../../../src/inference/manifest';

describe('modelFilesKind', () => {
  it('tells nnU-Net result folders and zips, voxseg model folders and studies apart', () => {
    const root = 'Dataset291_TotalSegmentator_part1_organs_1559subj/nnUNetTrainerNoMirroring__nnUNetPlans__3d_fullres';
    expect(modelFilesKind([`${root}/plans.json`, `${root}/dataset.json`, `${root}/fold_0/checkpoint_final.pth`])).toBe(
      'nnunet',
    );
    expect(modelFilesKind([`${root}/fold_0/checkpoint_final.pth`])).toBe('nnunet');
    expect(modelFilesKind(['Dataset291_TotalSegmentator_part1_organs_1559subj.zip'])).toBe('nnunet');
    expect(modelFilesKind(['meshnet/manifest.json', 'meshnet/model.onnx'])).toBe('voxseg');
    expect(modelFilesKind(['model.onnx'])).toBe('voxseg');
    expect(modelFilesKind(['CT/IM0001.dcm', 'CT/IM0002.dcm'])).toBe('none');
    expect(modelFilesKind(['ct.nii.gz'])).toBe('none');
  });
});

const resampling = { order: 3, orderZ: 0, forceSeparateZ: null, anisotropyThreshold: 3 };
function imported(source: string, mirrorAxes: number[] = []) {
  return parseManifest({
    schema: 'voxseg-model/1',
    id: 'ts',
    name: 'TS',
    version: '1',
    license: 'Apache-2.0',
    provenance: { source },
    intended: { modality: ['CT'], bodyPart: 'whole body' },
    model: { file: 'model.onnx', input: 'input', output: 'output', layout: 'NCDHW', channels: 2 },
    labels: [{ value: 1, name: 'spleen', color: [1, 2, 3] }],
    preprocessing: {
      mode: 'nnunet',
      orientation: 'RAS',
      transpose: [0, 1, 2],
      spacing: [1.5, 1.5, 1.5],
      patch: [128, 128, 112],
      overlap: 0.2,
      mirrorAxes,
      allowedMirrorAxes: [0, 1, 2],
      normalization: { kind: 'none' },
      resampling: { data: resampling, probabilities: { ...resampling, order: 1 } },
    },
    postprocessing: { activation: 'softmax', decision: 'argmax' },
  });
}

describe('modelFacts', () => {
  it('lists the grid, the folds named in the provenance and the mirroring', () => {
    const f = modelFacts(
      imported(
        'nnU-Net v2 result folder Dataset291_X/nnUNetTrainer__nnUNetPlans__3d_fullres (fold 0, fold 1, fold 2, checkpoint_final.pth)',
      ),
    );
    expect(f.spacing).toBe('1.5 × 1.5 × 1.5 mm');
    expect(f.patch).toBe('128 × 128 × 112');
    expect(f.overlap).toBe('20%');
    expect(f.folds).toBe('3 (fold 0, fold 1, fold 2), logits averaged');
    expect(f.mirroring).toBe('off (the model allows i, j, k)');
  });

  it('handles fold_all, one fold, and mirroring on', () => {
    expect(modelFacts(imported('x (all, checkpoint_best.pth)')).folds).toBe('1 (all)');
    expect(modelFacts(imported('x (fold 4, checkpoint_final.pth)', [0, 2])).mirroring).toBe('on: i, k (4× the time)');
    expect(modelFacts(imported('a model from elsewhere')).folds).toBeUndefined();
  });
});

describe('estimateText', () => {
  const e = {
    modelGrid: [167, 167, 13] as [number, number, number],
    modelVoxels: 0,
    tiles: 25,
    passes: 1,
    patchVoxels: 0,
    peakBytes: 1.23e9,
    sessionBytes: 1e9,
    prepSeconds: 3,
    seconds: { wasm: 130, webgpu: 9 },
  };
  it('says grid, tiles, time per device and memory', () => {
    expect(estimateText(e, 8, true)).toBe(
      'model grid 167 × 167 × 13, 25 tiles; about 2 min 10 s on WASM (8 threads), 9.0 s on WebGPU (each with about 3.0 s of resampling before and after); memory about 1.2 GB',
    );
    expect(estimateText({ ...e, passes: 8, prepSeconds: 0.5 }, 1, false)).toBe(
      'model grid 167 × 167 × 13, 25 tiles × 8 mirrored passes; about 2 min 10 s on WASM (1 thread); memory about 1.2 GB',
    );
  });
  it('warns when the model and one patch exceed what WASM can address', () => {
    expect(estimateText({ ...e, sessionBytes: 5e9, seconds: undefined }, 4, true)).toBe(
      'model grid 167 × 167 × 13, 25 tiles; memory about 1.2 GB (the model and one patch need more than the 4 GiB WASM can address: use WebGPU or the command line)',
    );
  });
});

describe('quantity', () => {
  it('writes counts with k / M / G', () => {
    expect([950, 21_552, 31_200_000, 371_300_000_000, 123_456].map(quantity)).toEqual([
      '950',
      '21.6 k',
      '31.2 M',
      '371 G',
      '123 k',
    ]);
  });
});
