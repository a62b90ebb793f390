/**
 * Display presets: 2D window/level and the 3D volume-rendering preset per modality.
 * Pure functions, no Cornerstone import, so they can be unit tested in Node.
 */
import type { Volume, VoxelArray } from '../core/types';

export interface WindowLevel {
  /** Window width (display range), > 0. */
  width: number;
  /** Window centre (level). */
  center: number;
}

export type PresetName = 'soft-tissue' | 'lung' | 'bone' | 'brain' | 'auto';

export interface PresetInfo {
  name: PresetName;
  label: string;
  /** Fixed window in the volume's unit (HU for CT); undefined = computed from the data. */
  window?: WindowLevel;
}

export const PRESETS: readonly PresetInfo[] = [
  { name: 'soft-tissue', label: 'Soft tissue', window: { width: 400, center: 40 } },
  { name: 'lung', label: 'Lung', window: { width: 1500, center: -600 } },
  { name: 'bone', label: 'Bone', window: { width: 1800, center: 400 } },
  { name: 'brain', label: 'Brain', window: { width: 80, center: 40 } },
  { name: 'auto', label: 'Auto' },
];

export function presetInfo(name: PresetName): PresetInfo {
  const p = PRESETS.find((q) => q.name === name);
  if (!p) throw new Error(`unknown display preset ${JSON.stringify(name)}`);
  return p;
}

export function windowToRange(w: WindowLevel): { lower: number; upper: number } {
  return { lower: w.center - w.width / 2, upper: w.center + w.width / 2 };
}

const ctGuess = new WeakMap<Volume, boolean>();

/**
 * True when the volume holds CT Hounsfield units: by modality or unit; for sources that do not
 * say (NIfTI), when its lowest values are air (about -1000), which MR never has.
 */
export function isCt(volume: Volume): boolean {
  const m = volume.header.metadata;
  const modality = m.modality?.toUpperCase();
  if (modality === 'CT' || m.unit === 'HU') return true;
  if (modality && modality !== 'OT') return false;
  let guess = ctGuess.get(volume);
  if (guess === undefined) {
    const [lowest] = percentiles(volume.voxels, 0.001, 0.5);
    guess = lowest <= -900 && lowest >= -3100;
    ctGuess.set(volume, guess);
  }
  return guess;
}

/**
 * Low/high percentiles of the voxel values from a strided sample of at most `maxSamples`
 * voxels (fast on 100M-voxel volumes). `lo`/`hi` are fractions in [0, 1].
 */
export function percentiles(voxels: VoxelArray, lo = 0.01, hi = 0.99, maxSamples = 1 << 18): [number, number] {
  if (voxels.length === 0) return [0, 1];
  const step = Math.max(1, Math.floor(voxels.length / maxSamples));
  const n = Math.ceil(voxels.length / step);
  const sample = new Float64Array(n);
  for (let s = 0, i = 0; s < n; s++, i += step) sample[s] = voxels[Math.min(i, voxels.length - 1)];
  sample.sort();
  const at = (f: number) => sample[Math.min(n - 1, Math.max(0, Math.round(f * (n - 1))))];
  return [at(lo), at(hi)];
}

/** Window for MR / unknown data: 1st..99th percentile of the non-background voxels when possible. */
export function autoWindow(volume: Volume): WindowLevel {
  const [p1, p99] = percentiles(volume.voxels, 0.01, 0.995);
  let lower = p1;
  const upper = p99;
  // Mostly-zero background (MR, skull-stripped): the low percentile is 0; keep it as black.
  if (!(upper > lower)) return { width: Math.max(1, Math.abs(upper) || 1), center: upper };
  lower = Math.min(lower, upper - 1e-6);
  return { width: upper - lower, center: (upper + lower) / 2 };
}

/**
 * The window a volume opens with: the source's suggested window if any, else soft tissue for
 * CT and percentiles for everything else.
 */
export function initialWindow(volume: Volume): WindowLevel {
  const m = volume.header.metadata;
  if (m.windowWidth && m.windowWidth > 0 && Number.isFinite(m.windowCenter)) {
    return { width: m.windowWidth, center: m.windowCenter as number };
  }
  return isCt(volume) ? presetInfo('soft-tissue').window! : autoWindow(volume);
}

/** Resolve a preset for a volume ('auto' and non-CT presets fall back to percentiles). */
export function presetWindow(name: PresetName, volume: Volume): WindowLevel {
  const p = presetInfo(name);
  return p.window ?? autoWindow(volume);
}

/** A vtk.js/Cornerstone volume-rendering preset (the strings are vtk "count x y ..." lists). */
export interface RenderPreset {
  name: string;
  gradientOpacity: string;
  specularPower: string;
  scalarOpacity: string;
  specular: string;
  shade: string;
  ambient: string;
  colorTransfer: string;
  diffuse: string;
  interpolation: string;
}

/**
 * 3D preset for a volume: Cornerstone's 'CT-Bone' (skin + skeleton) for CT; for anything else a
 * warm ramp laid over the 2nd..99.5th percentiles, since MR intensities have no fixed scale.
 */
export function renderPresetFor(volume: Volume): string | RenderPreset {
  if (isCt(volume)) return 'CT-Bone';
  const [p2, p995] = percentiles(volume.voxels, 0.02, 0.995);
  const lo = p2;
  const hi = p995 > lo ? p995 : lo + 1;
  const at = (f: number) => +(lo + f * (hi - lo)).toPrecision(6);
  const opacity = [
    [at(0), 0],
    [at(0.12), 0],
    [at(0.3), 0.15],
    [at(0.6), 0.35],
    [at(1), 0.6],
  ];
  const color = [
    [at(0), 0, 0, 0],
    [at(0.12), 0.35, 0.1, 0.05],
    [at(0.4), 0.8, 0.6, 0.4],
    [at(1), 1, 1, 1],
  ];
  return {
    name: 'voxseg-auto',
    gradientOpacity: '4 0 1 255 1',
    specularPower: '1',
    scalarOpacity: `${opacity.length * 2} ${opacity.flat().join(' ')}`,
    specular: '0',
    shade: '1',
    ambient: '0.2',
    colorTransfer: `${color.length * 4} ${color.flat().join(' ')}`,
    diffuse: '1',
    interpolation: '1',
  };
}
