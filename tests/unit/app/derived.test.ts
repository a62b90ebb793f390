import { describe, expect, it } from 'vitest';
import type { Vec3, Volume } from '../../../src/core/types';
import type { SeriesRow } from '../../../src/app/catalog';
import { loadRow } from '../../../src/app/catalog';
import { derivedRow, keptVolume, originOf, rowOf, sameStudy, withDerived } from '../../../src/app/derived';
import { createVolume } from '../../../src/volume/volume';

const vol = (dims: Vec3 = [4, 3, 2], spacing: Vec3 = [1, 1, 2], origin: Vec3 = [0, 0, 0]): Volume =>
  createVolume({ dims, spacing, origin, voxels: new Int16Array(dims[0] * dims[1] * dims[2]) });

function niftiRow(id: string, volume: Volume): SeriesRow {
  return {
    id,
    kind: 'nifti',
    patient: 'Doe, Jane',
    patientId: 'P1',
    date: '2024-01-31',
    modality: 'MR',
    description: `${id}.nii.gz`,
    images: 1,
    dims: [...volume.header.dims] as Vec3,
    spacing: [...volume.header.spacing] as Vec3,
    warnings: [],
    errors: [],
    source: { kind: 'nifti', volume, file: `${id}.nii.gz` },
  };
}

/** A DICOM row: its volume is not held by the row (it is decoded on selection). */
function dicomRow(id: string): SeriesRow {
  const row = niftiRow(id, vol());
  return { ...row, kind: 'dicom', description: 'T1 MPRAGE', images: 2, source: { kind: 'dicom', series: {} as never } };
}

describe('derived series rows', () => {
  it('a derived row takes the study of its base row and names what was done', () => {
    const base = vol();
    const image = vol();
    const row = derivedRow(niftiRow('t1', base), base, image, 'brain extracted');
    expect(row.kind).toBe('derived');
    expect(row.description).toBe('t1.nii.gz — brain extracted');
    expect([row.patient, row.patientId, row.date, row.modality]).toEqual(['Doe, Jane', 'P1', '2024-01-31', 'MR']);
    expect(row.dims).toEqual([4, 3, 2]);
    expect(row.spacing).toEqual([1, 1, 2]);
    expect(row.id).not.toBe('t1');
    expect(row.source).toEqual({ kind: 'derived', volume: image, base, baseId: 't1' });
  });

  it('loadRow gives a derived row its image without loading anything', async () => {
    const base = vol();
    const image = vol();
    const { volume, warnings } = await loadRow(derivedRow(niftiRow('t1', base), base, image, 'brain extracted'));
    expect(volume).toBe(image);
    expect(warnings).toEqual([]);
  });

  it('goes under its base row (after rows derived from it before) and replaces a row made the same way', () => {
    const a = niftiRow('a', vol());
    const b = niftiRow('b', vol());
    const c = niftiRow('c', vol());
    const aVol = (a.source as { volume: Volume }).volume;
    const d1 = derivedRow(a, aVol, vol(), 'brain extracted');
    let rows = withDerived([a, b, c], d1);
    expect(rows.map((r) => r.id)).toEqual(['a', d1.id, 'b', 'c']);
    // made from the derived image: under it, still before b
    const d2 = derivedRow(d1, (d1.source as { volume: Volume }).volume, vol(), 'smoothed');
    rows = withDerived(rows, d2);
    expect(rows.map((r) => r.id)).toEqual(['a', d1.id, d2.id, 'b', 'c']);
    // another image made from a: after both
    const d3 = derivedRow(a, aVol, vol(), 'other');
    rows = withDerived(rows, d3);
    expect(rows.map((r) => r.id)).toEqual(['a', d1.id, d2.id, d3.id, 'b', 'c']);
    // the same operation again: replaced where it stands
    const again = derivedRow(a, aVol, vol(), 'brain extracted');
    const replaced = withDerived(rows, again);
    expect(replaced.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(replaced[1]).toBe(again);
    expect(replaced[1].source).not.toBe(d1.source);
    // a base row no longer listed: at the end
    const lone = derivedRow(niftiRow('gone', vol()), vol(), vol(), 'brain extracted');
    expect(withDerived([b], lone).map((r) => r.id)).toEqual(['b', lone.id]);
    expect(() => withDerived([b], c)).toThrow(/derived/);
  });

  it('keeps the volume a DICOM row showed, finds rows of volumes, and follows derived images to their origin', () => {
    const t1 = dicomRow('t1');
    const shown = vol();
    const stripped = vol();
    const again = vol();
    const d1 = derivedRow(t1, shown, stripped, 'brain extracted');
    const d2 = derivedRow(d1, stripped, again, 'brain extracted');
    const other = niftiRow('other', vol());
    const rows = withDerived(withDerived([t1, other], d1), d2);

    expect(keptVolume(rows, 't1')).toBe(shown);
    expect(keptVolume(rows, d1.id)).toBe(stripped);
    expect(keptVolume(rows, 'other')).toBeUndefined();

    expect(rowOf(rows, stripped)).toBe(d1);
    expect(rowOf(rows, again)).toBe(d2);
    expect(rowOf(rows, shown)).toBe(t1);
    expect(rowOf(rows, (other.source as { volume: Volume }).volume)).toBe(other);
    const unknown = vol();
    expect(rowOf(rows, unknown)).toBeUndefined();
    expect(rowOf(rows, unknown, { id: 'other', volume: unknown })).toBe(other);
    expect(rowOf(rows, unknown, { id: 'other', volume: vol() })).toBeUndefined();

    expect(originOf(rows, again)).toBe(shown);
    expect(originOf(rows, stripped)).toBe(shown);
    expect(originOf(rows, shown)).toBe(shown);
    expect(originOf(rows, unknown)).toBe(unknown);
  });

  it('one study: an image and what it was derived from on the same grid; not an unrelated volume, not another grid', () => {
    const t1 = niftiRow('t1', vol());
    const base = (t1.source as { volume: Volume }).volume;
    const stripped = vol();
    const moved = vol([4, 3, 2], [1, 1, 2], [0, 0, 1]);
    const rows = withDerived(
      withDerived([t1], derivedRow(t1, base, stripped, 'brain extracted')),
      derivedRow(t1, base, moved, 'moved'),
    );
    expect(sameStudy(rows, base, base)).toBe(true);
    expect(sameStudy(rows, base, stripped)).toBe(true);
    expect(sameStudy(rows, stripped, base)).toBe(true);
    // an unrelated volume on the very same grid is another study
    const lookalike = vol();
    expect(sameStudy(rows, base, lookalike)).toBe(false);
    expect(sameStudy(rows, stripped, lookalike)).toBe(false);
    // derived, but its labels would not fit
    expect(sameStudy(rows, base, moved)).toBe(false);
    expect(sameStudy(rows, stripped, moved)).toBe(false);
  });
});
