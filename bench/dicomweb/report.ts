/**
 * Tables, checks and goals of the DICOMweb section (./index.ts runs it). A DICOMweb row counts only
 * when its volume matches the local reference: voxseg's byte for byte (CRC-32 of the voxel array),
 * Cornerstone's by the flip-tolerant fingerprint (its volume may be stacked the other way).
 */
import { compareSummaries, type VolumeSummary } from '../browser/checksum';
import { markdownTable, fmt } from '../lib/table';
import { median, min, max } from '../lib/stats';
import type { GoalCheck } from '../lib/section';
import type { RunResult } from '../loading/browser';

export const LOADER_ROWS = ['voxseg-local', 'voxseg-wadors', 'cornerstone-wadors'] as const;
export const FLOOR_ROWS = [
  'floor-orthanc',
  'floor-orthanc-series',
  'floor-proxy',
  'floor-browser',
  'floor-browser-series',
] as const;
export type LoaderRow = (typeof LOADER_ROWS)[number];
export type FloorRow = (typeof FLOOR_ROWS)[number];

export const LABEL: Record<LoaderRow | FloorRow, string> = {
  'voxseg-local': 'voxseg, local files (browser)',
  'voxseg-wadors': 'voxseg, WADO-RS (DicomwebClient)',
  'cornerstone-wadors': 'Cornerstone wadors loader',
  'floor-orthanc': 'Node → Orthanc directly, per instance',
  'floor-orthanc-series': 'Node → Orthanc directly, whole series in 1 request',
  'floor-proxy': 'Node → serving proxy → Orthanc, per instance',
  'floor-browser': 'browser → serving proxy → Orthanc, per instance',
  'floor-browser-series': 'browser → serving proxy → Orthanc, whole series in 1 request',
};
export const LOCAL_GOAL = 1.5;
export const SPEED_GOAL = 1.5;

export interface Row {
  name: LoaderRow;
  runs: RunResult[];
  errors: string[];
}

export interface FloorRun {
  ms: number;
  bytes: number;
}

const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}x` : '—');
const range = (v: number[]) => `${fmt(median(v))} (${fmt(min(v))}–${fmt(max(v))})`;

function check(ref: VolumeSummary, s: VolumeSummary, exact: boolean): string {
  const c = compareSummaries(ref, s);
  if (c) return c;
  if (exact && (ref.crc32 === undefined || s.crc32 !== ref.crc32))
    return `voxel CRC-32 ${s.crc32?.toString(16)} vs ${ref.crc32?.toString(16)}`;
  return '';
}

export function report(rows: Row[], floors: Map<FloorRow, FloorRun[]>, fileBytes: number, id: string) {
  const ref = rows.find((r) => r.name === 'voxseg-local')?.runs[0]?.summary;
  const agg = rows.map((row) => {
    const ms = row.runs.length ? median(row.runs.map((r) => r.ms)) : NaN;
    const bad =
      row.name === 'voxseg-local'
        ? row.runs.map((r) => check(ref!, r.summary, true)).find((c) => c)
        : ref
          ? row.runs.map((r) => check(ref, r.summary, row.name !== 'cornerstone-wadors')).find((c) => c)
          : 'no local reference run';
    const text =
      row.runs.length === 0
        ? '—'
        : bad
          ? `MISMATCH: ${bad}`
          : row.name === 'voxseg-local'
            ? 'reference'
            : row.name === 'cornerstone-wadors'
              ? 'ok (fingerprint)'
              : 'ok (CRC-32 equal)';
    return { row, ms, ok: row.runs.length > 0 && !bad && row.errors.length === 0, check: text };
  });
  const get = (n: LoaderRow) => agg.find((a) => a.row.name === n);
  const local = get('voxseg-local');
  const wado = get('voxseg-wadors');
  const cs = get('cornerstone-wadors');
  const wadoOverLocal = local?.ok && wado?.ok ? wado.ms / local.ms : NaN;
  const csOverWado = wado?.ok && cs?.ok ? cs.ms / wado.ms : NaN;

  const loaderTable = markdownTable(
    [
      'loader',
      'time to volume ms (min–max)',
      'CPU ms',
      'MB/s',
      'net MB',
      'peak MB',
      'dtype',
      'time / voxseg WADO-RS',
      'result check',
    ],
    agg.map(({ row, ms, check: c }) => {
      if (!row.runs.length) return [LABEL[row.name], `FAILED: ${row.errors[0] ?? 'no runs'}`];
      const net = median(row.runs.map((r) => r.netBytes ?? NaN));
      return [
        LABEL[row.name],
        range(row.runs.map((r) => r.ms)),
        fmt(median(row.runs.map((r) => r.cpuMs))),
        fmt(fileBytes / 1e6 / (ms / 1000), 0),
        Number.isFinite(net) ? fmt(net / 1e6, 0) : '—',
        fmt(median(row.runs.map((r) => r.peakBytes)) / 1e6, 0),
        row.runs[0].dtype,
        wado?.ok && row.name !== 'voxseg-wadors' ? x(ms / wado.ms) : '',
        c + (row.errors.length ? ` (failed once: ${row.errors[0]})` : ''),
      ];
    }),
  );
  const floorTable = floors.size
    ? markdownTable(
        [
          'network floor: plain fetches, bodies dropped (per instance: metadata + 6 in flight)',
          'ms (min–max)',
          'MB/s',
          'MB',
        ],
        [...floors].map(([name, runs]) =>
          runs.length
            ? [
                LABEL[name],
                range(runs.map((r) => r.ms)),
                fmt(fileBytes / 1e6 / (median(runs.map((r) => r.ms)) / 1000), 0),
                fmt(median(runs.map((r) => r.bytes)) / 1e6, 0),
              ]
            : [LABEL[name], 'FAILED'],
        ),
      )
    : '';

  const goals: GoalCheck[] = [];
  if (local && wado)
    goals.push({
      what: `${id}: voxseg WADO-RS / voxseg local`,
      target: `≤ ${LOCAL_GOAL}x`,
      actual: x(wadoOverLocal),
      met: wadoOverLocal <= LOCAL_GOAL,
    });
  if (wado && cs)
    goals.push({
      what: `${id}: Cornerstone wadors / voxseg WADO-RS`,
      target: `≥ ${SPEED_GOAL}x`,
      actual: x(csOverWado),
      met: csOverWado >= SPEED_GOAL,
    });
  const summary = `voxseg WADO-RS / local: **${x(wadoOverLocal)}** (goal ≤ ${LOCAL_GOAL}x); Cornerstone wadors / voxseg WADO-RS: **${x(csOverWado)}** (goal ≥ ${SPEED_GOAL}x).`;
  const data = agg.map(({ row, ms, ok, check: c }) => ({
    loader: row.name,
    ok,
    ms,
    check: c,
    errors: row.errors,
    runsMs: row.runs.map((r) => Math.round(r.ms)),
    runsCpuMs: row.runs.map((r) => Math.round(r.cpuMs)),
    runsPeakMB: row.runs.map((r) => Math.round(r.peakBytes / 1e6)),
    netBytes: row.runs.map((r) => r.netBytes ?? null),
    phases: row.runs.map((r) => r.phases),
  }));
  return { loaderTable, floorTable, summary, goals, data, ratios: { wadoOverLocal, csOverWado } };
}
