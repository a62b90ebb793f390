/**
 * Measurements as the app keeps them (pure): what the views report (kind, view, LPS points) plus
 * a label and the values computed here from the image's voxels — never the viewer's own figures.
 * Length in mm, angle in degrees, a probe's voxel value (nearest voxel centre), and an ROI's
 * statistics from `roiStats` (src/volume/roi-stats.ts).
 */
import type { Vec3, Volume } from '../../core/types';
import type { SrMeasurement } from '../../io/sr/write';
import { norm, sub, worldToIndex } from '../../volume/geometry';
import { roiStats, type PlanarRoi } from '../../volume/roi-stats';
import type { MeasureKind, ViewMeasurement } from '../../viewer';

export interface MeasureValues {
  length?: number;
  angle?: number;
  /** Probe: the value of the voxel nearest the point. */
  value?: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  area?: number;
  count?: number;
}

export interface Measurement extends ViewMeasurement {
  /** e.g. "Length 2". */
  label: string;
  values: MeasureValues;
}

export const KIND_NAMES: Record<MeasureKind, string> = {
  length: 'Length',
  angle: 'Angle',
  ellipse: 'Ellipse',
  rectangle: 'Rectangle',
  probe: 'Probe',
};

/** The planar ROI of an ellipse / rectangle measurement ([centre, centre + U, centre + V]). */
export function roiOf(m: Pick<ViewMeasurement, 'kind' | 'points'>): PlanarRoi {
  const [c, cu, cv] = m.points;
  return { shape: m.kind === 'ellipse' ? 'ellipse' : 'rectangle', centre: c, u: sub(cu, c), v: sub(cv, c) };
}

/** The voxel value nearest `p`, or undefined outside the volume. */
export function valueAt(image: Volume, p: Readonly<Vec3>): number | undefined {
  const [nx, ny, nz] = image.header.dims;
  const [i, j, k] = worldToIndex(image.header, p).map(Math.round);
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return undefined;
  return image.voxels[i + j * nx + k * nx * ny];
}

export function computeValues(image: Volume, m: Pick<ViewMeasurement, 'kind' | 'points'>): MeasureValues {
  const p = m.points;
  switch (m.kind) {
    case 'length':
      return { length: norm(sub(p[1], p[0])) };
    case 'angle': {
      const a = sub(p[0], p[1]);
      const b = sub(p[2], p[1]);
      const cos = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (norm(a) * norm(b) || 1);
      return { angle: (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI };
    }
    case 'probe':
      return { value: valueAt(image, p[0]) };
    default: {
      const s = roiStats(image, roiOf(m));
      return { mean: s.mean, std: s.std, min: s.min, max: s.max, area: s.areaMm2, count: s.count };
    }
  }
}

/** The next free label of a kind: "Length 3" after "Length 1" and "Length 2". */
export function nextLabel(list: readonly Measurement[], kind: MeasureKind): string {
  const name = KIND_NAMES[kind];
  let n = 0;
  for (const m of list) {
    const hit = new RegExp(`^${name} (\\d+)$`).exec(m.label);
    if (hit) n = Math.max(n, Number(hit[1]));
  }
  return `${name} ${n + 1}`;
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

/** One line of values for the list, e.g. "25.8 mm" or "mean 40.1 ± 12.0 HU (min …, max …), 314.2 mm²". */
export function describeValues(m: Measurement, unit: string): string {
  const v = m.values;
  const u = unit ? ` ${unit}` : '';
  switch (m.kind) {
    case 'length':
      return `${f1(v.length)} mm`;
    case 'angle':
      return `${f1(v.angle)}°`;
    case 'probe':
      return `${f1(v.value)}${u} at (${m.points[0].map((x) => x.toFixed(1)).join(', ')}) mm`;
    default:
      return `mean ${f1(v.mean)} ± ${f1(v.std)}${u}, min ${f1(v.min)}, max ${f1(v.max)}, ${f1(v.area)} mm²`;
  }
}

/** What the SR export writes: every measurement but the probes. */
export function toSr(list: readonly Measurement[]): SrMeasurement[] {
  return list
    .filter((m) => m.kind !== 'probe')
    .map((m) => ({
      kind: m.kind as SrMeasurement['kind'],
      label: m.label,
      points: m.points,
      values: {
        length: m.values.length,
        angle: m.values.angle,
        mean: m.values.mean,
        std: m.values.std,
        min: m.values.min,
        max: m.values.max,
        area: m.values.area,
      },
    }));
}
