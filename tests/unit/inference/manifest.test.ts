import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { channelLabelValues, parseManifest, parseManifestText } from '../../../src/inference/manifest';
import { repoRoot } from '../helpers/shared';

const fixture = JSON.parse(readFileSync(`${repoRoot}/tests/fixtures/models/meshnet-gwm.manifest.json`, 'utf8'));

function slidingWindow(): Record<string, unknown> {
  return {
    ...structuredClone(fixture),
    id: 'ct-demo',
    preprocessing: {
      mode: 'sliding-window',
      spacing: [1.5, 1.5, 3],
      orientation: 'ras',
      patch: [96, 96, 64],
      normalization: { kind: 'ct', clip: [-1000, 1000], mean: 50, std: 200 },
    },
  };
}

/** Apply `edit` to a copy of the fixture; expect parseManifest to fail naming `field`. */
function rejects(edit: (m: Record<string, any>) => void, field: RegExp): void {
  const m = structuredClone(fixture);
  edit(m);
  let err: unknown;
  try {
    parseManifest(m, 'models/x/manifest.json');
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VoxsegError);
  expect((err as VoxsegError).code).toBe('invalid-model');
  expect((err as VoxsegError).message).toMatch(/^models\/x\/manifest\.json: manifest field /);
  expect((err as VoxsegError).message).toMatch(field);
}

describe('parseManifest', () => {
  it('accepts the meshnet-gwm manifest and fills defaults', () => {
    const m = parseManifest(fixture);
    expect(m.id).toBe('meshnet-gwm');
    expect(m.preprocessing.mode).toBe('whole-volume');
    expect(m.model.layout).toBe('NCDHW');
    expect(m.labels.map((l) => l.name)).toEqual(['White Matter', 'Grey Matter']);
    expect(channelLabelValues(m)).toEqual([0, 1, 2]);
  });

  it('fills sliding-window defaults (overlap 0.5, gaussian, sigma 1/8, batch 1) and upper-cases orientation', () => {
    const m = parseManifest(slidingWindow());
    const p = m.preprocessing;
    if (p.mode !== 'sliding-window') throw new Error('mode');
    expect(p).toMatchObject({
      overlap: 0.5,
      blending: 'gaussian',
      sigmaScale: 0.125,
      batch: 1,
      orientation: 'RAS',
      mirrorAxes: [],
    });
  });

  it('refuses model files outside the model folder, before anything is read', () => {
    for (const bad of [
      '../../../../etc/passwd',
      '/etc/passwd',
      'sub/../../x.onnx',
      './model.onnx',
      'C:\\m.onnx',
      'a\\..\\m.onnx',
      '',
    ])
      rejects((m) => (m.model.file = bad), /model\.file/);
    const ok = structuredClone(fixture);
    ok.model.file = 'weights/model.onnx';
    expect(parseManifest(ok, 'models/x/manifest.json').model.file).toBe('weights/model.onnx');
  });

  it('names the offending field', () => {
    rejects((m) => (m.schema = 'other/2'), /schema: must be "voxseg-model\/1"/);
    rejects((m) => (m.id = 'Has Spaces'), /^.*id: use lower-case/);
    rejects((m) => delete m.model.input, /model\.input: must be a non-empty string/);
    rejects((m) => (m.model.channels = 0), /model\.channels: must be within/);
    rejects((m) => (m.model.sha256 = 'abc'), /model\.sha256: must be 64 hex digits/);
    rejects((m) => (m.model.layout = 'NHWC'), /model\.layout: must be one of/);
    rejects((m) => (m.labels = []), /labels: must be a non-empty array/);
    rejects((m) => (m.labels[1].value = 1), /labels\[1\]\.value: duplicate label value 1/);
    rejects((m) => (m.labels[0].color = [255, 0]), /labels\[0\]\.color/);
    rejects((m) => (m.labels[0].color = [256, 0, 0]), /labels\[0\]\.color\[0\]/);
    rejects((m) => (m.preprocessing.mode = 'slices'), /preprocessing\.mode: must be one of/);
    rejects(
      (m) => (m.preprocessing.conform.orientation = 'LLA'),
      /preprocessing\.conform\.orientation: must be an orientation code/,
    );
    rejects((m) => (m.preprocessing.conform.dims = [256, 256]), /preprocessing\.conform\.dims: must be an array of 3/);
    rejects(
      (m) => (m.preprocessing.normalization = { kind: 'quantile', lower: 0.9, upper: 0.1 }),
      /lower quantile must be below upper/,
    );
    rejects(
      (m) => (m.preprocessing.normalization = { kind: 'ct', clip: [100, -100], mean: 0, std: 1 }),
      /clip: lower must be below upper/,
    );
    rejects(
      (m) => (m.postprocessing.decision = 'threshold'),
      /postprocessing\.thresholds: must list one threshold per output channel \(3\)/,
    );
    rejects((m) => (m.model.channels = 4), /labels: output channel gives label 3, which has no entry in labels/);
    rejects((m) => (m.intended.modality = []), /intended\.modality/);
  });

  it('rejects sliding-window fields with their names', () => {
    const bad = slidingWindow() as Record<string, any>;
    bad.preprocessing.patch = [96, 96, 0];
    expect(() => parseManifest(bad)).toThrow(/preprocessing\.patch\[2\]: must be within/);
    const bad2 = slidingWindow() as Record<string, any>;
    bad2.preprocessing.overlap = 1;
    expect(() => parseManifest(bad2)).toThrow(/preprocessing\.overlap/);
  });

  it("postprocessing.labelResampling: 'nearest' by default, 'linear' accepted, anything else refused by name", () => {
    expect(parseManifest(fixture).postprocessing.labelResampling).toBe('nearest');
    const linear = slidingWindow() as Record<string, any>;
    linear.postprocessing.labelResampling = 'linear';
    expect(parseManifest(linear).postprocessing.labelResampling).toBe('linear');
    rejects(
      (m) => (m.postprocessing.labelResampling = 'cubic'),
      /postprocessing\.labelResampling: must be one of "nearest", "linear", got "cubic"/,
    );
    rejects((m) => (m.postprocessing.labelResampling = 1), /postprocessing\.labelResampling: must be one of/);
  });

  it('reports bad JSON with the file name', () => {
    expect(() => parseManifestText('{ "schema": ', 'my/manifest.json')).toThrow(/^my\/manifest\.json: not valid JSON/);
  });
});
