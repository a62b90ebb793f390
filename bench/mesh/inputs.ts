/**
 * The label maps the mesh bench meshes:
 * - seg: `../shared/data/labels/totalsegmentator/example_seg.nii.gz`, a real TotalSegmentator
 *   result (41 labels, 122x101x30 at 3 mm); skipped with a note when ../shared is missing;
 * - phantom: the label map of `generatePhantom` at 512x512x300 (7 labels). The generator scales
 *   the body down to fit when the field of view is narrower than it: 0.7 mm x 512 = 358 mm is the
 *   coarsest in-plane spacing at which that happens, so the body spans ~86% of the grid in x (a finer
 *   spacing only shrinks the anatomy with it); 1.5 mm slices (450 mm) as in an abdominal CT.
 *   Labels only (no noise, no blur: they do not change the labels), ~0.5 s to generate, so it is
 *   made in each child rather than cached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Vec3, Volume } from '../../src/core/types';
import { readNifti } from '../../src/io/nifti/index';
import { generatePhantom } from '../../src/phantom/index';
import { SHARED } from '../loading/datasets';

export type MeshInput =
  | { id: 'seg'; label: string; kind: 'nifti'; path: string }
  | { id: 'phantom'; label: string; kind: 'phantom'; seed: number; dims: Vec3; spacing: Vec3 };

/** Field of view of the phantom, mm: the default 512x512x300 grid gets 0.7 x 0.7 x 1.5 mm voxels. */
const PHANTOM_FOV: Vec3 = [358.4, 358.4, 450];

export function meshInputs(opts: { inputs: string[]; phantomDims: Vec3 }): { inputs: MeshInput[]; notes: string[] } {
  const inputs: MeshInput[] = [];
  const notes: string[] = [];
  if (opts.inputs.includes('seg')) {
    const path = join(SHARED, 'labels/totalsegmentator/example_seg.nii.gz');
    if (existsSync(path)) inputs.push({ id: 'seg', label: 'TotalSegmentator example_seg.nii.gz', kind: 'nifti', path });
    else notes.push(`${path} not found (no ../shared checkout): the example_seg rows are skipped`);
  }
  if (opts.inputs.includes('phantom')) {
    const dims = opts.phantomDims;
    const spacing = PHANTOM_FOV.map((f, a) => Number((f / dims[a]).toFixed(4))) as Vec3;
    inputs.push({
      id: 'phantom',
      label: `phantom label map ${dims.join('x')} @ ${spacing.join('x')} mm`,
      kind: 'phantom',
      seed: 1,
      dims,
      spacing,
    });
  }
  return { inputs, notes };
}

export function loadInput(input: MeshInput): Volume {
  if (input.kind === 'nifti') return readNifti(readFileSync(input.path), input.path);
  return generatePhantom({ seed: input.seed, dims: input.dims, spacing: input.spacing, noise: 0, blur: false }).labels;
}

/** Non-zero label values present, ascending. */
export function presentLabels(labels: Volume): number[] {
  const seen = new Set<number>();
  const v = labels.voxels;
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) seen.add(v[i]);
  return [...seen].sort((a, b) => a - b);
}
