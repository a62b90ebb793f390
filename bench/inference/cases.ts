/**
 * Inputs and models of the inference bench, written once into bench/out/inference/ so the browser
 * and the Node children read the same bytes:
 * - meshnet: ../shared/data models/meshnet-gwm/model.onnx + nifti/mr/t1_crop.nii.gz, with the
 *   manifest tests/fixtures/models/meshnet-gwm.manifest.json (skipped when ../shared is missing);
 * - the phantom CT generatePhantom({ seed: 1, dims: [512, 512, 300], spacing: [0.8, 0.8, 1.5] }),
 *   generated once and cached as raw int16 + header (--regen makes it again);
 * - unet: the bench U-Net (unet.ts) at 3 mm, 128^3 patches; memory: a 1x1x1 Conv at the CT's own
 *   spacing; webgpu: the U-Net with 32^3 patches on a 112x112x56 crop of the phantom (one patch:
 *   WebGPU here is a software adapter, ~10 s for it),
 *   and webgpu-maxpool: the same with MaxPool down (an operator WebGPU cannot run in 3-D).
 * (The nnunet case, an imported nnU-Net model on the same CT, is prepared by nnunet.ts.)
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3, Volume } from '../../src/core/types';
import { parseManifestText } from '../../src/inference/manifest';
import { generatePhantom } from '../../src/phantom/index';
import { OUT, REPO, SHARED } from '../loading/datasets';
import type { InferenceCase, RawHeader, VolumeRef } from './shared';
import { buildPointwise, buildUnet, CLASSES, windowManifest } from './unet';

export const DIR = join(OUT, 'inference');
const PHANTOM = { seed: 1, dims: [512, 512, 300] as Vec3, spacing: [0.8, 0.8, 1.5] as Vec3 };
const CROP: Vec3 = [112, 112, 56];

function writeRaw(name: string, v: Volume): { path: string; header: RawHeader } {
  const path = join(DIR, `${name}.raw`);
  const h = v.header;
  const header: RawHeader = {
    dims: [...h.dims] as Vec3,
    spacing: [...h.spacing] as Vec3,
    origin: [...h.origin] as Vec3,
    direction: [...h.direction] as RawHeader['direction'],
    metadata: { ...h.metadata },
  };
  writeFileSync(path, new Uint8Array(v.voxels.buffer, v.voxels.byteOffset, v.voxels.byteLength));
  writeFileSync(join(DIR, `${name}.json`), JSON.stringify(header));
  return { path, header };
}

function cachedRaw(name: string, bytes: number): { path: string; header: RawHeader } | null {
  const path = join(DIR, `${name}.raw`);
  const meta = join(DIR, `${name}.json`);
  if (!existsSync(path) || !existsSync(meta) || statSync(path).size !== bytes) return null;
  return { path, header: JSON.parse(readFileSync(meta, 'utf8')) as RawHeader };
}

/** Central box of `size` voxels. */
function crop(v: Volume, size: Vec3): Volume {
  const [nx, ny, nz] = v.header.dims;
  const [x0, y0, z0] = [Math.floor((nx - size[0]) / 2), Math.floor((ny - size[1]) / 2), Math.floor((nz - size[2]) / 2)];
  const src = v.voxels as Int16Array;
  const out = new Int16Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++) {
      const s = ((z0 + k) * ny + y0 + j) * nx + x0;
      out.set(src.subarray(s, s + size[0]), (k * size[1] + j) * size[0]);
    }
  const h = v.header;
  const origin = [0, 1, 2].map((a) => h.origin[a] + [x0, y0, z0][a] * h.spacing[a]) as Vec3; // identity direction
  return { header: { ...h, dims: size, origin }, voxels: out };
}

/** The cached phantom CT and its crop, generated when missing or with `regen`. */
function phantomFiles(regen: boolean) {
  const name = `phantom-${PHANTOM.dims.join('x')}-seed${PHANTOM.seed}`;
  const voxels = PHANTOM.dims[0] * PHANTOM.dims[1] * PHANTOM.dims[2];
  let full = regen ? null : cachedRaw(name, 2 * voxels);
  let cropped = regen ? null : cachedRaw(`${name}-crop${CROP.join('x')}`, 2 * CROP[0] * CROP[1] * CROP[2]);
  if (!full || !cropped) {
    const t0 = performance.now();
    const { ct } = generatePhantom(PHANTOM);
    full = writeRaw(name, ct);
    cropped = writeRaw(`${name}-crop${CROP.join('x')}`, crop(ct, CROP));
    console.log(
      `bench: generated the ${PHANTOM.dims.join('x')} phantom CT into ${DIR} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  return { full, cropped };
}

function writeModel(name: string, onnx: Uint8Array): string {
  const path = join(DIR, `${name}.onnx`);
  writeFileSync(path, onnx);
  return path;
}

export interface Cases {
  cases: InferenceCase[];
  notes: string[];
  /** The phantom CT (for cases prepared elsewhere: nnunet.ts). */
  ct: { volume: VolumeRef; label: string };
}

export function prepareCases(opts: { regen: boolean; unetBase: number }): Cases {
  mkdirSync(DIR, { recursive: true });
  const cases: InferenceCase[] = [];
  const notes: string[] = [];

  const meshnet = join(SHARED, 'models/meshnet-gwm/model.onnx');
  const t1 = join(SHARED, 'nifti/mr/t1_crop.nii.gz');
  if (existsSync(meshnet) && existsSync(t1)) {
    const manifestFile = join(REPO, 'tests/fixtures/models/meshnet-gwm.manifest.json');
    cases.push({
      id: 'meshnet',
      label: 'meshnet-gwm on t1_crop (256^3 whole-volume)',
      model: meshnet,
      modelInfo: 'MeshNet grey/white matter (niivue-onnx), 9 dilated 3x3x3 convs, 3 classes',
      manifest: parseManifestText(readFileSync(manifestFile, 'utf8'), manifestFile),
      volume: { kind: 'nifti', path: t1 },
    });
  } else
    notes.push(`${existsSync(meshnet) ? t1 : meshnet} not found (no ../shared checkout): meshnet-gwm rows skipped`);

  const { full, cropped } = phantomFiles(opts.regen);
  const unet = buildUnet({ base: opts.unetBase, classes: CLASSES, seed: 1 });
  const unetFile = writeModel(`unet-base${opts.unetBase}`, unet.onnx);
  const phantomLabel = `phantom CT ${PHANTOM.dims.join('x')} @ ${PHANTOM.spacing.join('x')} mm`;
  cases.push({
    id: 'unet',
    label: `U-Net, ${phantomLabel} → 3 mm grid, 128^3 patches, overlap 0.5`,
    model: unetFile,
    modelInfo: unet.describe,
    manifest: windowManifest({
      id: 'bench-unet',
      name: 'bench U-Net (random weights)',
      classes: CLASSES,
      spacing: [3, 3, 3],
      patch: [128, 128, 128],
      overlap: 0.5,
    }),
    volume: { kind: 'raw', ...full },
  });
  const pointwise = buildPointwise(CLASSES, 3);
  cases.push({
    id: 'memory',
    label: `${CLASSES}-class 1x1x1 Conv, ${phantomLabel} at its own spacing, 128^3 patches, overlap 0.5`,
    model: writeModel('pointwise14', pointwise.onnx),
    modelInfo: pointwise.describe,
    manifest: windowManifest({
      id: 'bench-pointwise',
      name: 'bench 1x1x1 conv',
      classes: CLASSES,
      spacing: PHANTOM.spacing,
      patch: [128, 128, 128],
      overlap: 0.5,
    }),
    volume: { kind: 'raw', ...full },
  });
  const small = windowManifest({
    id: 'bench-unet-32',
    name: 'bench U-Net, 32^3 patches',
    classes: CLASSES,
    spacing: [3, 3, 3],
    patch: [32, 32, 32],
    overlap: 0.5,
  });
  cases.push({
    id: 'webgpu',
    label: `U-Net, ${CROP.join('x')} crop of the phantom → 3 mm, one 32^3 patch`,
    model: unetFile,
    modelInfo: unet.describe,
    manifest: small,
    volume: { kind: 'raw', ...cropped },
  });
  // The same network with MaxPool down: does the engine see that WebGPU cannot run it, and fall back?
  const pooled = buildUnet({ base: opts.unetBase, classes: CLASSES, seed: 1, down: 'maxpool' });
  cases.push({
    id: 'webgpu-maxpool',
    label: `U-Net with MaxPool down, same crop and patch`,
    model: writeModel(`unet-base${opts.unetBase}-maxpool`, pooled.onnx),
    modelInfo: pooled.describe,
    manifest: small,
    volume: { kind: 'raw', ...cropped },
  });
  writeCaseFiles(cases);
  return { cases, notes, ct: { volume: { kind: 'raw', ...full }, label: phantomLabel } };
}

/** The case files the Node children read. */
export function writeCaseFiles(cases: InferenceCase[]): void {
  for (const c of cases) writeFileSync(caseFile(c), JSON.stringify(c));
}

/** The case file a Node child reads. */
export function caseFile(c: InferenceCase): string {
  return join(DIR, `case-${c.id}.json`);
}
