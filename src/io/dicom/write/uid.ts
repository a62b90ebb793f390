/**
 * Deterministic DICOM UIDs of the form 2.25.<decimal of a 128-bit number> (ISO/IEC 9834-8 UUID
 * arc), derived by hashing a seed and the UID's purpose. Same inputs -> same UID.
 */
import { hashSeed } from '../../../core/hash';

function strCodes(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
  return out;
}

/** 2.25.N where N is 128 bits from hashing (seed, purpose, index). At most 44 characters. */
export function deterministicUid(seed: number, purpose: string, index = 0): string {
  const base = [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0, ...strCodes(purpose), index >>> 0];
  let n = 0n;
  for (let w = 0; w < 4; w++) n = (n << 32n) | BigInt(hashSeed(0x5eed + w * 7919, ...base));
  if (n === 0n) n = 1n;
  return `2.25.${n.toString(10)}`;
}

/** Cheap content fingerprint of a voxel array (sampled), used when no seed is given. */
export function contentSeed(values: ArrayLike<number>, extra: number[] = []): number {
  const step = Math.max(1, Math.floor(values.length / 65521));
  const acc: number[] = [values.length, ...extra];
  let h = hashSeed(...acc);
  for (let i = 0; i < values.length; i += step) h = hashSeed(h, values[i] | 0);
  return h;
}
