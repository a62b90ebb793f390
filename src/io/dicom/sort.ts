/**
 * Slice ordering and volume geometry of one compatible part (see group.ts).
 *
 * - Slices are sorted by ImagePositionPatient projected on the slice normal n = row x column.
 * - Spacing along k is the median gap between consecutive positions (never SliceThickness).
 * - Duplicate positions: when every position repeats m times and an attribute (echo, temporal
 *   position, trigger time, stack, acquisition) tells the m copies apart, the part is split into m
 *   volumes; otherwise the first image at a position is kept and the others are named.
 * - Missing slices (a gap that is n x median, n >= 2) get n-1 empty slots so that every loaded
 *   slice stays exactly at its DICOM position (the loader fills them with the volume minimum).
 * - Slices that do not lie on one regular grid — other uneven gaps, gantry tilt or any in-plane
 *   shift of the positions (regular.ts decides) — are resampled at load onto a regular grid
 *   [row | column | n] with the smallest gap as spacing (regular.ts plans it, regrid.ts does it);
 *   the stack then carries `regular` and its slots are the acquired slices, in order along n.
 * - Images without position/orientation are stacked by InstanceNumber on an identity grid, warned.
 */
import type { Mat3, Vec3 } from '../../core/types';
import { cross, directionFromAxes, dot, normalize } from '../../volume/geometry';
import { fmt, type FrameRef } from './multiframe';
import { subPart, type Part } from './group';
import { regularGrid, type RegularGrid } from './regular';

export interface Stack {
  part: Part;
  /** Slot k -> frame; null = empty slot inserted for a missing slice. */
  slots: (FrameRef | null)[];
  dims: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
  warnings: string[];
  /** Set when the acquired slices (`slots`) are resampled onto the grid above at load. */
  regular?: RegularGrid;
}

const SPLIT_KEYS: [string, string][] = [
  ['echo', 'EchoNumbers'],
  ['echoTime', 'effective echo time'],
  ['temporal', 'TemporalPositionIdentifier'],
  ['temporalIndex', 'TemporalPositionIndex'],
  ['trigger', 'TriggerTime'],
  ['stack', 'StackID'],
  ['acquisition', 'AcquisitionNumber'],
];
/** Largest number of empty slots inserted for missing slices, relative to the slice count. */
const MAX_FILL_RATIO = 0.5;

export function frameName(part: Part, f: FrameRef): string {
  const s = part.files[f.file];
  const multi = s.header.numberOfFrames > 1 || s.header.mosaic;
  return multi ? `${s.file.name} frame ${f.frame + 1}` : s.file.name;
}

function compareFallback(part: Part, a: FrameRef, b: FrameRef): number {
  return (
    (a.instanceNumber ?? 0) - (b.instanceNumber ?? 0) ||
    part.files[a.file].file.name.localeCompare(part.files[b.file].file.name) ||
    a.frame - b.frame
  );
}

interface SlotPlan {
  dz: number;
  slots: (FrameRef | null)[];
  inserted: number;
  /** [index of the frame after the gap, empty slots inserted before it] */
  missing: [number, number][];
  /** Largest distance of a slice from its regular-grid position (mm). */
  worst: number;
}

/** Slots for spacing dz: gaps that are n x dz (n >= 2) get n - 1 empty slots. */
function slotPlan(frames: FrameRef[], gaps: number[], pos: number[], dz: number, fill: boolean): SlotPlan {
  const tol = Math.max(0.01, 0.01 * dz);
  let slots: (FrameRef | null)[] = [frames[0]];
  const missing: [number, number][] = [];
  let inserted = 0;
  for (let i = 1; i < frames.length; i++) {
    const n = Math.round(gaps[i - 1] / dz);
    if (fill && n >= 2 && Math.abs(gaps[i - 1] - n * dz) <= Math.max(tol, 0.1 * dz)) {
      for (let e = 1; e < n; e++) slots.push(null);
      inserted += n - 1;
      missing.push([i, n - 1]);
    }
    slots.push(frames[i]);
  }
  let worst = 0;
  let f = 0;
  slots.forEach((s, k) => {
    if (s) worst = Math.max(worst, Math.abs(pos[f++] - pos[0] - k * dz));
  });
  return { dz, slots, inserted, missing, worst };
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function stackPart(part: Part): Stack[] {
  const f0 = part.frames[0];
  const h0 = part.files[f0.file].header;
  const rows = h0.mosaic ? h0.mosaic.tileRows : h0.rows;
  const cols = h0.mosaic ? h0.mosaic.tileCols : h0.columns;
  const warnings = [...part.warnings];
  let ps = f0.pixelSpacing;
  if (!ps || !(ps[0] > 0 && ps[1] > 0)) {
    warnings.push('no PixelSpacing: 1 mm pixels assumed');
    ps = [1, 1];
  }
  if (!f0.position || !f0.orientation) return [unplaced(part, rows, cols, ps, warnings)];

  const o = f0.orientation;
  const row = normalize([o[0], o[1], o[2]]);
  let col: Vec3 = [o[3], o[4], o[5]];
  const skew = dot(row, normalize(col));
  if (Math.abs(skew) > 1e-3)
    warnings.push(
      `ImageOrientationPatient row/column cosines are not perpendicular (${fmt((Math.acos(Math.min(1, Math.abs(skew))) * 180) / Math.PI, 2)}°): column axis orthogonalised`,
    );
  col = normalize([col[0] - skew * row[0], col[1] - skew * row[1], col[2] - skew * row[2]]);
  const n = normalize(cross(row, col));
  const d = new Map<FrameRef, number>(part.frames.map((f) => [f, dot(f.position!, n)]));
  const sorted = [...part.frames].sort((a, b) => d.get(a)! - d.get(b)! || compareFallback(part, a, b));

  // duplicate positions
  const dupTol = 1e-3;
  const clusters: FrameRef[][] = [];
  for (const f of sorted) {
    const last = clusters[clusters.length - 1];
    if (last && Math.abs(d.get(f)! - d.get(last[0])!) < dupTol) last.push(f);
    else clusters.push([f]);
  }
  if (clusters.length === 1 && part.frames.length > 1 && part.files.length === 1) {
    // every frame of one multi-frame file at the same place: a cine / time series, not a volume
    warnings.push(
      `all ${part.frames.length} frames share one position (cine or time series): stacked in frame order 1 mm apart; k is time, not space`,
    );
    const frames = [...part.frames].sort((a, b) => a.frame - b.frame);
    return [
      {
        part,
        slots: frames,
        dims: [cols, rows, frames.length],
        spacing: [ps[1], ps[0], 1],
        origin: [...f0.position] as Vec3,
        direction: directionFromAxes(row, col, n),
        warnings,
      },
    ];
  }
  if (clusters.some((c) => c.length > 1)) {
    const m = clusters[0].length;
    if (m > 1 && clusters.every((c) => c.length === m)) {
      for (const [key, label] of SPLIT_KEYS) {
        const values = [...new Set(part.frames.map((f) => f.split[key] ?? ''))];
        if (values.length !== m || !clusters.every((c) => new Set(c.map((f) => f.split[key] ?? '')).size === m))
          continue;
        values.sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
        const why = `series holds ${m} volumes at the same slice positions (different ${label}): split into ${m} series`;
        return values.flatMap((v) =>
          stackPart(
            subPart(
              part,
              part.frames.filter((f) => (f.split[key] ?? '') === v),
              [...part.warnings, `${why}; this one has ${label} ${v || '(blank)'}`],
            ),
          ),
        );
      }
    }
    const dups = clusters.filter((c) => c.length > 1);
    const list = dups
      .slice(0, 3)
      .map(
        (c) =>
          `${fmt(d.get(c[0])!)} mm (${c.map((f) => frameName(part, f)).join(', ')}): kept ${frameName(part, c[0])}`,
      );
    warnings.push(
      `duplicate slice position${dups.length > 1 ? 's' : ''} ${list.join('; ')}${dups.length > 3 ? `; and ${dups.length - 3} more` : ''}`,
    );
  }
  const frames = clusters.map((c) => c[0]);
  const pos = frames.map((f) => d.get(f)!);

  // spacing, gaps
  let dz: number;
  let slots: (FrameRef | null)[] = [frames[0]];
  if (frames.length === 1) {
    dz = h0.spacingBetweenSlices ?? h0.sliceThickness ?? 1;
    if (!(dz > 0)) dz = 1;
  } else {
    const gaps = pos.slice(1).map((p, i) => p - pos[i]);
    // Spacing candidates: the median of all gaps, and the median of the regular (smallest) gaps,
    // which is the right one when slices are missing. Keep the plan that places slices best.
    const minGap = gaps.reduce((a, b) => Math.min(a, b)); // no spread: a series may hold 100 000+ slices
    const candidates = [median(gaps), median(gaps.filter((g) => g <= 1.5 * minGap))];
    const plans = candidates
      .map((c) => slotPlan(frames, gaps, pos, c, true))
      .filter((p) => p.inserted <= MAX_FILL_RATIO * frames.length);
    if (!plans.length) plans.push(slotPlan(frames, gaps, pos, candidates[0], false));
    const best = plans.reduce((a, b) => (b.worst < a.worst - 1e-9 ? b : a));
    dz = best.dz;
    slots = best.slots;
    const tol = Math.max(0.01, 0.01 * dz);
    // uneven gaps the missing-slice plan cannot place, gantry tilt, in-plane shifts: resample
    const regular = regularGrid({
      positions: frames.map((f) => f.position!),
      row,
      col,
      n,
      pixelSpacing: ps,
      rows,
      cols,
      uneven: best.worst > tol,
    });
    if (regular) {
      warnings.push(regular.warning);
      const { dims, spacing, origin } = regular;
      return [
        { part, slots: frames, dims, spacing, origin, direction: directionFromAxes(row, col, n), warnings, regular },
      ];
    }
    if (best.missing.length) {
      const missing = best.missing.map(
        ([i, n]) =>
          `${n} between ${frameName(part, frames[i - 1])} and ${frameName(part, frames[i])} (gap ${fmt(gaps[i - 1])} mm)`,
      );
      const { inserted } = best;
      warnings.push(
        `missing slice${inserted > 1 ? 's' : ''}: ${missing.slice(0, 3).join('; ')}${missing.length > 3 ? `; and ${missing.length - 3} more gaps` : ''}; ${inserted} empty slice${inserted > 1 ? 's' : ''} inserted (filled with the volume minimum) so that every slice keeps its DICOM position`,
      );
    }
  }
  if (!(dz > 0)) dz = 1;
  return [
    {
      part,
      slots,
      dims: [cols, rows, slots.length],
      spacing: [ps[1], ps[0], dz],
      origin: [...frames[0].position!] as Vec3,
      direction: directionFromAxes(row, col, n),
      warnings,
    },
  ];
}

/** No position/orientation: stack by InstanceNumber on an identity grid (orientation if known). */
function unplaced(part: Part, rows: number, cols: number, ps: [number, number], warnings: string[]): Stack {
  const frames = [...part.frames].sort((a, b) => compareFallback(part, a, b));
  const h0 = part.files[frames[0].file].header;
  let dz = h0.spacingBetweenSlices ?? h0.sliceThickness ?? 1;
  if (!(dz > 0)) dz = 1;
  const o = frames[0].orientation;
  let direction: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  if (o) {
    const r = normalize([o[0], o[1], o[2]]);
    const c = normalize([o[3], o[4], o[5]]);
    direction = directionFromAxes(r, c, normalize(cross(r, c)));
  }
  const what =
    frames.length > 1 ? `${frames.length} images stacked by InstanceNumber, ${fmt(dz)} mm apart` : 'image placed';
  warnings.push(
    `no patient position (ImagePositionPatient${o ? '' : '/ImageOrientationPatient'} missing): ${what} at the origin; geometry is not patient-aligned`,
  );
  return {
    part,
    slots: frames,
    dims: [cols, rows, frames.length],
    spacing: [ps[1], ps[0], dz],
    origin: [0, 0, 0],
    direction,
    warnings,
  };
}
