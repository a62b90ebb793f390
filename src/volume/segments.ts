/**
 * Segment metadata: what each label value means (name, colour, coded category/type as in DICOM
 * SEG), where it came from (a model or a hand), and its display/edit state. Values are unique
 * across all layers of a segmentation; 0 is background and never a segment.
 */
export type AlgorithmType = 'AUTOMATIC' | 'SEMIAUTOMATIC' | 'MANUAL';

/** A coded concept (DICOM code sequence item), e.g. { scheme: 'SCT', value: '10200004', meaning: 'Liver' }. */
export interface Code {
  scheme: string;
  value: string;
  meaning: string;
}

/** An RGB colour, 0..255 each. */
export type Rgb = [number, number, number];

export interface Segment {
  /** Label value 1..65535. */
  value: number;
  name: string;
  color: Rgb;
  category?: Code;
  type?: Code;
  /** Laterality of `type` (e.g. SCT Left / Right), DICOM SEG's SegmentedPropertyTypeModifier. */
  typeModifier?: Code;
  algorithm: AlgorithmType;
  /** Model name and version for AUTOMATIC / SEMIAUTOMATIC segments. */
  algorithmName?: string;
  /** ISO 8601 time of creation. */
  createdAt: string;
  /** Changed by hand since created. */
  edited: boolean;
  visible: boolean;
  /** Locked segments' voxels are never overwritten or erased by edits. */
  locked: boolean;
  /** AI results await review: 'proposed' until accepted (or rejected, which removes them). */
  review?: 'proposed' | 'accepted';
}

/** A segment together with the index of the layer holding its voxels. */
export type LayeredSegment = Segment & { layer: number };

export const MAX_SEGMENT_VALUE = 65535;

/**
 * Colours for new segments in order: saturated, well-separated hues with alternating lightness
 * (after Kelly's colours of maximum contrast, without white, black and greys).
 */
export const SEGMENT_PALETTE: readonly (readonly [number, number, number])[] = Object.freeze([
  [230, 25, 75],
  [60, 180, 75],
  [255, 225, 25],
  [0, 130, 200],
  [245, 130, 48],
  [145, 30, 180],
  [70, 240, 240],
  [240, 50, 230],
  [210, 245, 60],
  [250, 190, 212],
  [0, 128, 128],
  [220, 190, 255],
  [170, 110, 40],
  [255, 250, 200],
  [128, 0, 0],
  [170, 255, 195],
  [128, 128, 0],
  [255, 215, 180],
  [0, 0, 128],
  [255, 160, 0],
] as const);

/** Colour for the n-th segment (0-based): the palette, then golden-angle hues. */
export function segmentColor(n: number): [number, number, number] {
  if (n < SEGMENT_PALETTE.length) return [...SEGMENT_PALETTE[n]] as [number, number, number];
  const h = ((n * 137.508) % 360) / 60;
  const l = n % 2 ? 0.45 : 0.6,
    s = 0.75;
  const c = (1 - Math.abs(2 * l - 1)) * s,
    x = c * (1 - Math.abs((h % 2) - 1)),
    m = l - c / 2;
  const [r, g, b] =
    h < 1 ? [c, x, 0] : h < 2 ? [x, c, 0] : h < 3 ? [0, c, x] : h < 4 ? [0, x, c] : h < 5 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/** The first palette colour no segment uses yet. */
export function freeColor(segments: readonly Pick<Segment, 'color'>[]): [number, number, number] {
  const used = new Set(segments.map((s) => s.color.join(',')));
  for (let n = 0; ; n++) {
    const c = segmentColor(n);
    if (!used.has(c.join(',')) || n > segments.length + SEGMENT_PALETTE.length) return c;
  }
}

/** Smallest value 1..65535 no segment uses (throws when all are taken). */
export function nextFreeValue(segments: readonly Pick<Segment, 'value'>[]): number {
  const used = new Set(segments.map((s) => s.value));
  for (let v = 1; v <= MAX_SEGMENT_VALUE; v++) if (!used.has(v)) return v;
  throw new RangeError('all 65535 segment values are in use');
}

const ALGORITHMS: readonly string[] = ['AUTOMATIC', 'SEMIAUTOMATIC', 'MANUAL'];

function codeProblem(c: unknown): string | null {
  if (c === undefined) return null;
  const o = c as Code;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.scheme !== 'string' ||
    typeof o.value !== 'string' ||
    typeof o.meaning !== 'string'
  )
    return 'must be { scheme, value, meaning } strings';
  return null;
}

/** Problems with a segment list, one readable line each (empty when valid). */
export function validateSegments(segments: readonly Segment[]): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  segments.forEach((s, k) => {
    const at = `segment ${k} (${JSON.stringify(s?.name ?? '')})`;
    if (typeof s !== 'object' || s === null) return void problems.push(`segment ${k} is not an object`);
    if (!Number.isInteger(s.value) || s.value < 1 || s.value > MAX_SEGMENT_VALUE)
      problems.push(`${at}: value must be an integer 1..65535, got ${s.value}`);
    else if (seen.has(s.value)) problems.push(`${at}: value ${s.value} is used twice`);
    seen.add(s.value);
    if (typeof s.name !== 'string' || !s.name.trim()) problems.push(`${at}: name must be a non-empty string`);
    if (
      !Array.isArray(s.color) ||
      s.color.length !== 3 ||
      s.color.some((c) => !Number.isInteger(c) || c < 0 || c > 255)
    )
      problems.push(`${at}: color must be 3 integers 0..255, got ${JSON.stringify(s.color)}`);
    if (!ALGORITHMS.includes(s.algorithm))
      problems.push(`${at}: algorithm must be one of ${ALGORITHMS.join(', ')}, got ${JSON.stringify(s.algorithm)}`);
    if (typeof s.createdAt !== 'string' || Number.isNaN(Date.parse(s.createdAt)))
      problems.push(`${at}: createdAt must be an ISO date, got ${JSON.stringify(s.createdAt)}`);
    for (const f of ['edited', 'visible', 'locked'] as const)
      if (typeof s[f] !== 'boolean') problems.push(`${at}: ${f} must be true or false`);
    if (s.review !== undefined && s.review !== 'proposed' && s.review !== 'accepted')
      problems.push(`${at}: review must be 'proposed' or 'accepted'`);
    for (const f of ['category', 'type'] as const) {
      const p = codeProblem(s[f]);
      if (p) problems.push(`${at}: ${f} ${p}`);
    }
  });
  return problems;
}

/** A new manual segment with defaults filled in (the first palette colour `existing` segments do not use). */
export function makeSegment(value: number, existing: readonly Segment[], init: Partial<Segment> = {}): Segment {
  return {
    name: `Segment ${value}`,
    color: freeColor(existing),
    algorithm: 'MANUAL',
    createdAt: new Date().toISOString(),
    edited: false,
    visible: true,
    locked: false,
    ...init,
    value,
  };
}

/** Deep copy (codes and colour included) so history snapshots never alias live objects. */
export function cloneSegment<S extends Segment>(s: S): S {
  const c = { ...s, color: [...s.color] as [number, number, number] };
  if (s.category) c.category = { ...s.category };
  if (s.type) c.type = { ...s.type };
  return c;
}
