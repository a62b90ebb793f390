/** Label table of the phantom's label map (ids are stable; colours are distinct RGB). */
export interface LabelEntry {
  value: number;
  name: string;
  color: [number, number, number];
}

export const PHANTOM_LABELS: readonly LabelEntry[] = Object.freeze([
  { value: 1, name: 'liver', color: [221, 130, 101] },
  { value: 2, name: 'spleen', color: [157, 108, 162] },
  { value: 3, name: 'kidney_right', color: [212, 188, 102] },
  { value: 4, name: 'kidney_left', color: [111, 184, 210] },
  { value: 5, name: 'aorta', color: [230, 40, 40] },
  { value: 6, name: 'spine', color: [241, 214, 145] },
  { value: 7, name: 'lungs', color: [100, 180, 100] },
]);
