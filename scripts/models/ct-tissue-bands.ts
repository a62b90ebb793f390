/**
 * The bundled demo model `ct-tissue-bands`: a tiny hand-built ONNX graph (no training) that
 * scores each voxel against fixed Hounsfield bands (air, lung, fat, soft tissue, enhanced
 * tissue/vessels, bone): logit_c = -((HU - centre_c)/100)^2, so argmax picks the nearest band.
 * Partial-volume voxels at air/tissue borders fall into the bands between (a thin 'lung' or
 * 'fat' rim around the body): this is what intensity alone gives.
 * It runs through the full sliding-window pipeline (reorientation to RAS, resampling to 2 mm,
 * Gaussian-blended 64^3 patches, argmax, labels mapped back to the study grid), so the app can
 * auto-segment any CT out of the box; it does not know organs.
 */
import type { ModelManifest } from '../../src/inference/manifest';
import { OnnxGraph } from '../../src/inference/onnx/writer';

/** Band centres in HU; channel 0 (air) is background. */
export const BANDS = [
  { value: 0, name: 'air', hu: -1000, color: [0, 0, 0] },
  { value: 1, name: 'lung', hu: -850, color: [128, 174, 232] },
  { value: 2, name: 'fat', hu: -95, color: [230, 220, 70] },
  { value: 3, name: 'soft tissue', hu: 55, color: [200, 110, 100] },
  { value: 4, name: 'enhanced tissue and vessels', hu: 165, color: [235, 40, 40] },
  { value: 5, name: 'bone', hu: 520, color: [241, 214, 145] },
] as const;

/** Normalization the manifest declares: x = clip(HU, -1024, 3071) / 100. */
const SCALE = 100;

export function buildTissueBands(): {
  onnx: Uint8Array;
  manifest: Omit<ModelManifest, 'model'> & { model: Omit<ModelManifest['model'], 'sha256'> };
} {
  const C = BANDS.length;
  const g = new OnnxGraph('ct_tissue_bands');
  g.input('input', 'float32', ['batch', 1, 'd', 'h', 'w']);
  g.initializer('band_w', new Float32Array(C).fill(1), [C, 1, 1, 1, 1]);
  g.initializer(
    'band_b',
    Float32Array.from(BANDS, (b) => -b.hu / SCALE),
    [C],
  );
  g.node('Conv', ['input', 'band_w', 'band_b'], ['distance'], { kernel_shape: [1, 1, 1] });
  g.node('Mul', ['distance', 'distance'], ['squared']);
  g.node('Neg', ['squared'], ['output']);
  g.output('output', 'float32', ['batch', C, 'd', 'h', 'w']);
  const onnx = g.toBytes({
    producer: 'voxseg',
    docString: 'CT tissue classes by Hounsfield bands (hand-built, not trained)',
  });
  return {
    onnx,
    manifest: {
      schema: 'voxseg-model/1',
      id: 'ct-tissue-bands',
      name: 'CT tissue classes (intensity bands)',
      version: '1.0.0',
      license: 'MIT',
      description:
        'Classifies every voxel of a CT into air, lung, fat, soft tissue, enhanced tissue/vessels and bone by its Hounsfield value (nearest band). ' +
        'It is not a trained model and does not know organs: it demonstrates the whole auto-segmentation pipeline (resampling, sliding window, labels on the study grid) on any CT.',
      provenance: {
        source: 'voxseg (scripts/models/ct-tissue-bands.ts)',
        data: 'none (fixed Hounsfield bands)',
        training: 'none',
      },
      intended: { modality: ['CT'], bodyPart: 'any', notes: 'Any CT in Hounsfield units. Not for clinical use.' },
      model: {
        file: 'model.onnx',
        input: 'input',
        output: 'output',
        layout: 'NCDHW',
        channels: C,
        expectedSeconds: 10,
      },
      labels: BANDS.filter((b) => b.value > 0).map((b) => ({
        value: b.value,
        name: b.name,
        color: [...b.color] as [number, number, number],
      })),
      preprocessing: {
        mode: 'sliding-window',
        spacing: [2, 2, 2],
        orientation: 'RAS',
        patch: [64, 64, 64],
        overlap: 0.25,
        blending: 'gaussian',
        sigmaScale: 0.125,
        mirrorAxes: [],
        batch: 2,
        normalization: { kind: 'ct', clip: [-1024, 3071], mean: 0, std: SCALE },
      },
      postprocessing: { activation: 'softmax', decision: 'argmax' },
    },
  };
}
