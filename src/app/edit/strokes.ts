/**
 * Pure helpers of the editor: which index axis a view looks along, where the dabs of a dragged
 * brush go, index-box unions, and voxel counts kept up to date from run-length diffs.
 */
import type { IndexBox, Vec3, Volume } from '../../core/types';
import { axisDirection, dot } from '../../volume/geometry';
import type { HistoryEntry } from '../../volume/history';
import { countLabels } from '../../volume/labels';

/** The index axis of `study` closest to a view's plane normal (the slice axis of that view). */
export function nearestAxis(study: Pick<Volume['header'], 'direction'>, normal: Readonly<Vec3>): 0 | 1 | 2 {
  let best: 0 | 1 | 2 = 2;
  let score = -1;
  for (const c of [0, 1, 2] as const) {
    const s = Math.abs(dot(axisDirection(study.direction, c), normal));
    if (s > score) {
      score = s;
      best = c;
    }
  }
  return best;
}

/**
 * Dab centres from `from` (exclusive) to `to` (inclusive), in index coordinates, at most half a
 * radius apart in millimetres, so that a fast drag still paints a continuous stroke.
 */
export function dabsAlong(from: Readonly<Vec3>, to: Readonly<Vec3>, spacing: Readonly<Vec3>, radiusMm: number): Vec3[] {
  const dist = Math.hypot(
    (to[0] - from[0]) * spacing[0],
    (to[1] - from[1]) * spacing[1],
    (to[2] - from[2]) * spacing[2],
  );
  const steps = Math.max(1, Math.ceil(dist / Math.max(0.25, radiusMm / 2)));
  const out: Vec3[] = [];
  for (let s = 1; s <= steps; s++) {
    const t = s / steps;
    out.push([from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1]), from[2] + t * (to[2] - from[2])]);
  }
  return out;
}

export function unionBox(a: IndexBox | null, b: IndexBox | null): IndexBox | null {
  if (!a) return b;
  if (!b) return a;
  return {
    lo: [Math.min(a.lo[0], b.lo[0]), Math.min(a.lo[1], b.lo[1]), Math.min(a.lo[2], b.lo[2])],
    hi: [Math.max(a.hi[0], b.hi[0]), Math.max(a.hi[1], b.hi[1]), Math.max(a.hi[2], b.hi[2])],
  };
}

/** Voxels per label value over every layer (one pass). */
export function countAll(layers: readonly Volume[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of layers)
    for (const [v, n] of Object.entries(countLabels(l.voxels))) out.set(Number(v), (out.get(Number(v)) ?? 0) + n);
  return out;
}

/**
 * `counts` after `entry` was applied (`dir` 'after') or undone ('before'): each run moves its
 * length from one value to the other. Cost: the number of runs, not voxels.
 */
export function countsAfter(
  counts: ReadonlyMap<number, number>,
  entry: HistoryEntry,
  dir: 'before' | 'after',
): Map<number, number> {
  const out = new Map(counts);
  for (const { diff } of entry.voxels) {
    const from = dir === 'after' ? diff.before : diff.after;
    const to = dir === 'after' ? diff.after : diff.before;
    for (let r = 0; r < diff.length.length; r++) {
      out.set(from[r], (out.get(from[r]) ?? 0) - diff.length[r]);
      out.set(to[r], (out.get(to[r]) ?? 0) + diff.length[r]);
    }
  }
  return out;
}
