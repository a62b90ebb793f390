/**
 * The numbers `voxseg export-seg` / `import-seg` print (voxels and slices per segment, one pass per
 * layer whatever the number of labels) and export-seg's read-back check of the SEG it wrote.
 */
import { VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import { readSeg, type SegLayerEntry, type SegSegment } from '../../io/seg/index';

/** Voxels and slices of each segment in the layers (one pass per layer, whatever the number of labels). */
export function segmentStats(
  layers: readonly Volume[],
  placement: readonly SegLayerEntry[],
): Map<number, { voxels: number; slices: number }> {
  const out = new Map<number, { voxels: number; slices: number }>();
  layers.forEach((l, li) => {
    const mine = placement.filter((p) => p.layer === li);
    if (!mine.length) return;
    const slot = new Map(mine.map((p, i) => [p.value, i]));
    const voxels = new Float64Array(mine.length);
    const slices = new Float64Array(mine.length);
    const lastK = new Int32Array(mine.length).fill(-1);
    const [nx, ny, nz] = l.header.dims;
    const nxy = nx * ny;
    for (let k = 0; k < nz; k++) {
      let prev = 0;
      let i = -1;
      for (let p = k * nxy, end = p + nxy; p < end; p++) {
        const v = l.voxels[p];
        if (v === 0) continue;
        if (v !== prev) {
          prev = v;
          i = slot.get(v) ?? -1;
        }
        if (i < 0) continue;
        voxels[i]++;
        if (lastK[i] !== k) {
          lastK[i] = k;
          slices[i]++;
        }
      }
    }
    mine.forEach((p, i) => {
      const prevStat = out.get(p.number);
      out.set(
        p.number,
        prevStat
          ? { voxels: prevStat.voxels + voxels[i], slices: Math.max(prevStat.slices, slices[i]) }
          : { voxels: voxels[i], slices: slices[i] },
      );
    });
  });
  return out;
}

/**
 * Read the SEG back onto the series (an internal check): every segment has the voxels of the label
 * map. A label map SEG is checked only where the reader knows that SOP class.
 */
export function checkReadBack(
  bytes: Uint8Array,
  ref: Volume,
  out: string,
  segments: readonly SegSegment[],
  want: Map<number, { voxels: number; slices: number }>,
  labelmap: boolean,
): void {
  let back;
  try {
    back = readSeg(bytes, ref, out);
  } catch (e) {
    if (labelmap && e instanceof VoxsegError && e.code === 'unsupported') return;
    throw e;
  }
  const got = segmentStats(back.layers, back.segmentLayer);
  for (const s of segments)
    if (got.get(s.number)?.voxels !== want.get(s.number)?.voxels)
      throw new VoxsegError(
        'invalid-volume',
        `internal check failed: segment ${s.number} (${s.label}) has ${got.get(s.number)?.voxels} voxels in the SEG, ${want.get(s.number)?.voxels} in the label map`,
      );
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
