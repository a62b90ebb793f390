/** Small typed readers over a dicom-parser DataSet (missing or malformed values -> undefined / ''). */
import type { DataSet } from 'dicom-parser';
import type { Vec3 } from '../../core/types';

/** String value with padding (spaces, NULs) removed; '' when absent. */
export function str(ds: DataSet | undefined, tag: string): string {
  if (!ds || !ds.elements[tag]) return '';
  return (ds.string(tag) ?? '').replace(/\0/g, '').trim();
}

/** All numbers of a DS/IS value ('1\\0\\0'); undefined when absent or not numeric. */
export function nums(ds: DataSet | undefined, tag: string): number[] | undefined {
  const v = str(ds, tag);
  if (!v) return undefined;
  const a = v.split('\\').map((x) => Number.parseFloat(x));
  return a.length && a.every(Number.isFinite) ? a : undefined;
}

export function num(ds: DataSet | undefined, tag: string): number | undefined {
  return nums(ds, tag)?.[0];
}

/** US value (2 bytes, in the dataset's byte order). */
export function us(ds: DataSet, tag: string): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return undefined;
  return ds.uint16(tag);
}

/** UL value as a string ('' when absent). */
export function ulString(ds: DataSet | undefined, tag: string): string {
  const el = ds?.elements[tag];
  if (!ds || !el || el.length < 4) return '';
  return String(ds.uint32(tag));
}

export function vec3(a: number[] | undefined): Vec3 | undefined {
  return a && a.length >= 3 ? [a[0], a[1], a[2]] : undefined;
}

/** Dataset of the first item of a sequence element. */
export function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}
