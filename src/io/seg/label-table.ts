/**
 * Label table JSON, the companion of a NIfTI label map exported from / imported into a SEG:
 *
 *   { "segments": [{ "value": 1, "name": "Liver", "color": [221, 130, 101],
 *       "category": { "scheme": "SCT", "value": "123037004", "meaning": "Anatomical Structure" },
 *       "type": { "scheme": "SCT", "value": "10200004", "meaning": "Liver" },
 *       "algorithmType": "AUTOMATIC", "algorithmName": "TotalSegmentator", "layer": 0 }] }
 *
 * Only value and name are required; layer defaults to 0 (the volume index of a 4-D label map),
 * codes to the SNOMED lookup of ./codes.ts, the algorithm (name) to segmentsFromTable's defaults. A bare array of entries (as `voxseg phantom` writes)
 * is read too. Errors name the file and the field.
 */
import { VoxsegError } from '../../core/errors';
import { codesForName } from './codes';
import type { Code, Rgb, SegAlgorithmType, SegLayerEntry, SegSegment } from './types';

export interface LabelTableEntry {
  value: number;
  name: string;
  color?: Rgb;
  category?: Code;
  type?: Code;
  typeModifier?: Code;
  anatomicRegion?: Code;
  algorithmType?: SegAlgorithmType;
  algorithmName?: string;
  algorithmVersion?: string;
  description?: string;
  /** Label layer (4-D NIfTI volume index); default 0. */
  layer?: number;
}

const ALGORITHMS = ['AUTOMATIC', 'SEMIAUTOMATIC', 'MANUAL'];
const CODE_KEYS = ['category', 'type', 'typeModifier', 'anatomicRegion'] as const;
const TEXT_KEYS = ['algorithmName', 'algorithmVersion', 'description'] as const;

function parseCode(v: unknown, bad: (msg: string) => never): Code {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object' || Array.isArray(o))
    bad('must be {"scheme": "SCT", "value": "...", "meaning": "..."}');
  for (const k of ['scheme', 'value', 'meaning'])
    if (typeof o![k] !== 'string' || !(o![k] as string).trim()) bad(`needs a non-empty "${k}" string`);
  return { scheme: String(o!.scheme).trim(), value: String(o!.value).trim(), meaning: String(o!.meaning).trim() };
}

function parseEntry(v: unknown, at: string, fail: (field: string, msg: string) => never): LabelTableEntry {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(at, 'must be an object with "value" and "name"');
  const o = v as Record<string, unknown>;
  const value = o.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535)
    fail(`${at}.value`, `must be a whole number 1..65535, got ${JSON.stringify(value)}`);
  if (typeof o.name !== 'string' || !o.name.trim())
    fail(`${at}.name`, `must be a non-empty string, got ${JSON.stringify(o.name)}`);
  const e: LabelTableEntry = { value: value as number, name: (o.name as string).trim() };
  if (o.color !== undefined) {
    const c = o.color;
    if (typeof c === 'string' && /^#[0-9a-f]{6}$/i.test(c))
      e.color = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)) as Rgb;
    else if (Array.isArray(c) && c.length === 3 && c.every((x) => Number.isInteger(x) && x >= 0 && x <= 255))
      e.color = [c[0], c[1], c[2]];
    else fail(`${at}.color`, `must be [r, g, b] with whole numbers 0..255 or "#rrggbb", got ${JSON.stringify(c)}`);
  }
  for (const k of CODE_KEYS) if (o[k] !== undefined) e[k] = parseCode(o[k], (msg) => fail(`${at}.${k}`, msg));
  for (const k of TEXT_KEYS) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'string') fail(`${at}.${k}`, `must be a string, got ${JSON.stringify(o[k])}`);
    if ((o[k] as string).trim()) e[k] = (o[k] as string).trim();
  }
  if (o.algorithmType !== undefined) {
    if (typeof o.algorithmType !== 'string' || !ALGORITHMS.includes(o.algorithmType.toUpperCase()))
      fail(`${at}.algorithmType`, `must be one of ${ALGORITHMS.join(', ')}, got ${JSON.stringify(o.algorithmType)}`);
    e.algorithmType = (o.algorithmType as string).toUpperCase() as SegAlgorithmType;
  }
  if (o.layer !== undefined) {
    if (typeof o.layer !== 'number' || !Number.isInteger(o.layer) || o.layer < 0 || o.layer > 255)
      fail(`${at}.layer`, `must be a whole number 0..255, got ${JSON.stringify(o.layer)}`);
    e.layer = o.layer as number;
  }
  return e;
}

/** Parse and validate a label table; errors ('unreadable') name `file` and the bad field. */
export function readLabelTable(text: string, file?: string): LabelTableEntry[] {
  const fail = (field: string, msg: string): never => {
    throw new VoxsegError('unreadable', `label table: ${field} ${msg}`, { file });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new VoxsegError(
      'unreadable',
      `label table is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
      { file },
    );
  }
  const list = Array.isArray(json) ? json : (json as { segments?: unknown } | null)?.segments;
  if (!Array.isArray(list)) fail('"segments"', 'must be an array: {"segments": [{"value": 1, "name": "Liver"}, ...]}');
  const entries = (list as unknown[]).map((v, i) => parseEntry(v, `segments[${i}]`, fail));
  const seen = new Map<string, number>();
  entries.forEach((e, i) => {
    const key = `${e.layer ?? 0}:${e.value}`;
    if (seen.has(key))
      fail(`segments[${i}].value`, `${e.value} (layer ${e.layer ?? 0}) is already used by segments[${seen.get(key)}]`);
    seen.set(key, i);
  });
  return entries;
}

/** Label table JSON text (2-space indent, trailing newline). */
export function writeLabelTable(entries: readonly LabelTableEntry[]): string {
  const segments = entries.map((e) => {
    const o: Record<string, unknown> = { value: e.value, name: e.name };
    if (e.color) o.color = e.color;
    for (const k of CODE_KEYS) if (e[k]) o[k] = e[k];
    if (e.algorithmType) o.algorithmType = e.algorithmType;
    for (const k of TEXT_KEYS) if (e[k]) o[k] = e[k];
    o.layer = e.layer ?? 0;
    return o;
  });
  // colours on one line: [221, 130, 101]
  return `${JSON.stringify({ segments }, null, 2).replace(/\[\s+(\d+),\s+(\d+),\s+(\d+)\s+\]/g, '[$1, $2, $3]')}\n`;
}

/** The table of an imported SEG: one entry per segment, at its layer and value. */
export function tableFromSegments(
  segments: readonly SegSegment[],
  placement: readonly SegLayerEntry[],
): LabelTableEntry[] {
  const where = new Map(placement.map((p) => [p.number, p]));
  return segments.map((s) => {
    const p = where.get(s.number);
    const { number: _n, label, ...rest } = s;
    return { value: p?.value ?? s.number, name: label, ...rest, layer: p?.layer ?? 0 };
  });
}

/**
 * Segments for writeSeg from table entries: numbered 1..n in (layer, value) order, codes from the
 * entry or the SNOMED lookup by name, algorithm from the entry or `defaults` (an AUTOMATIC or
 * SEMIAUTOMATIC segment without a name gets 'voxseg', as DICOM requires one).
 */
export function segmentsFromTable(
  entries: readonly LabelTableEntry[],
  defaults: { algorithmType: SegAlgorithmType; algorithmName?: string } = {
    algorithmType: 'SEMIAUTOMATIC',
    algorithmName: 'voxseg',
  },
): { segments: SegSegment[]; placement: SegLayerEntry[] } {
  const sorted = [...entries].sort((a, b) => (a.layer ?? 0) - (b.layer ?? 0) || a.value - b.value);
  const segments: SegSegment[] = [];
  const placement: SegLayerEntry[] = [];
  sorted.forEach((e, i) => {
    const number = i + 1;
    const guess = codesForName(e.name);
    const algorithmType = e.algorithmType ?? defaults.algorithmType;
    const s: SegSegment = {
      number,
      label: e.name,
      category: e.category ?? guess.category,
      type: e.type ?? guess.type,
      algorithmType,
    };
    if (algorithmType !== 'MANUAL') s.algorithmName = e.algorithmName ?? defaults.algorithmName ?? 'voxseg';
    if (e.algorithmVersion && algorithmType !== 'MANUAL') s.algorithmVersion = e.algorithmVersion;
    if (e.color) s.color = e.color;
    if (e.typeModifier) s.typeModifier = e.typeModifier;
    if (e.anatomicRegion) s.anatomicRegion = e.anatomicRegion;
    if (e.description) s.description = e.description;
    segments.push(s);
    placement.push({ layer: e.layer ?? 0, value: e.value, number });
  });
  return { segments, placement };
}
