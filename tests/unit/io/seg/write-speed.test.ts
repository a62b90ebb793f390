/**
 * SEG writer cost is linear in voxels + frames, not labels x voxels: 4,096 labels on a 128x128x64
 * label map (16x16x16 blocks of 8x8x4 voxels, each its own label) written as BINARY and as a label
 * map, both decoded back by pydicom voxel for voxel. Times are logged (no timed assertion).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../../../src/core/types';
import { writeDicomSeries } from '../../../../src/io/dicom/write/index';
import { segmentsFromTable, writeSeg, type SegSegment } from '../../../../src/io/seg/index';
import { createVolume } from '../../../../src/volume/volume';
import { differing, hasPydicom, loadFiles, pyDecode } from './write-helpers';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-segspeed-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const N = 4096;

describe.runIf(hasPydicom)('4,096 labels', () => {
  let ct: Volume;
  let labels: Volume;
  let segments: SegSegment[];
  beforeAll(async () => {
    const dims = [128, 128, 64] as const;
    const hu = new Int16Array(dims[0] * dims[1] * dims[2]).fill(40);
    const img = createVolume({ dims: [...dims], spacing: [1, 1, 2], origin: [-64, -64, 0], voxels: hu });
    ct = await loadFiles(writeDicomSeries(img, { seed: 11 }));
    // label of voxel (i, j, k): its 8x8x4 block, numbered 1..4096 in a scrambled order
    const lab = new Uint16Array(hu.length);
    for (let k = 0, o = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++, o++) {
          const b = (i >> 3) + 16 * (j >> 3) + 256 * (k >> 2);
          lab[o] = ((b * 2671) % N) + 1;
        }
    labels = createVolume({
      dims: [...ct.header.dims],
      spacing: [...ct.header.spacing],
      origin: [...ct.header.origin],
      direction: [...ct.header.direction],
      voxels: lab,
    });
    segments = segmentsFromTable(
      Array.from({ length: N }, (_, i) => ({ value: i + 1, name: `block ${i + 1}` })),
    ).segments;
  });

  for (const labelmap of [false, true])
    it(`${labelmap ? 'LABELMAP (16-bit)' : 'BINARY'}: written in seconds, pydicom decodes every voxel back`, () => {
      const t0 = performance.now();
      const bytes = writeSeg(ct, labels, segments, { labelmap });
      const ms = performance.now() - t0;
      console.log(
        `[speed] writeSeg ${labelmap ? 'LABELMAP' : 'BINARY'} 4096 labels, 128x128x64: ${ms.toFixed(0)} ms, ${bytes.length} bytes`,
      );
      const file = join(tmp, `${labelmap ? 'lm' : 'bin'}.dcm`);
      writeFileSync(file, bytes);
      const t1 = performance.now();
      const d = pyDecode(file, ct);
      console.log(`[speed] pydicom decode: ${(performance.now() - t1).toFixed(0)} ms`);
      expect(d.type).toBe(labelmap ? 'LABELMAP' : 'BINARY');
      expect(d.bits).toBe(labelmap ? 16 : 1);
      expect(d.segments).toHaveLength(N);
      // BINARY: one frame per (block, slice) = 4096 x 4; LABELMAP: one per slice
      expect(d.frames).toHaveLength(labelmap ? 64 : N * 4);
      expect(differing(d.labels, labels.voxels)).toBe(0);
    }, 240_000);
});
if (!hasPydicom) it.skip('4,096 labels [skipped: /usr/bin/python3 cannot import pydicom and numpy]', () => {});
