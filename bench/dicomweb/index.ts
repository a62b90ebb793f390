/**
 * DICOMweb loading bench (`npm run bench -- dicomweb`): one phantom CT series (512x512x300 by
 * default, generated once by the phantom writer and cached in bench/out/) uploaded into a real
 * Orthanc, then, in the same run and the same Chromium, interleaved per repetition:
 *   voxseg (local files)   — the loading section's voxseg loader on the same files (the reference);
 *   voxseg (WADO-RS)       — as the app: the series metadata planned, each instance decoded as it
 *                            arrives (progressive load), then scanFiles + the load's finish;
 *   Cornerstone (wadors)   — Cornerstone's `wadors` loader, series metadata + frames, into a volume;
 * and the network floor (plain fetches of the instances: Node → Orthanc, Node → proxy, browser →
 * proxy), so a loader's time can be read against what the server and proxy can deliver at all.
 * Both DICOMweb loaders go through voxseg's serving proxy to Orthanc. Goals (reported): voxseg's
 * WADO-RS load ≤ 1.5x its local load; Cornerstone's ≥ 1.5x voxseg's WADO-RS load. Checks and
 * tables: ./report.ts.
 */
import { join } from 'node:path';
import { fmt } from '../lib/table';
import { buildPage } from '../lib/vite-page';
import type { BenchOptions, BenchSection, SectionResult } from '../lib/section';
import { runInBrowser } from '../loading/browser';
import { OUT, REPO, phantomDataset, warmPageCache } from '../loading/datasets';
import { orthancMissing } from '../../tests/orthanc/orthanc';
import { nodeFloor, startWebSetup, type WebSetup } from './server';
import { FLOOR_ROWS, LOADER_ROWS, report, type FloorRow, type FloorRun, type LoaderRow, type Row } from './report';

/** The page module each row loads (bench/browser/main.ts). */
const PAGE_LOADER: Record<LoaderRow, string> = {
  'voxseg-local': 'voxseg',
  'voxseg-wadors': 'voxseg-wadors',
  'cornerstone-wadors': 'cornerstone-wadors',
};

const errText = (e: unknown) => (e instanceof Error ? e.message.split('\n')[0] : String(e));

async function floorRun(name: FloorRow, setup: WebSetup, timeoutMs: number): Promise<FloorRun> {
  const direct = { headers: { authorization: setup.orthanc.authorization } };
  switch (name) {
    case 'floor-orthanc':
      return nodeFloor(setup.orthanc.dicomweb, setup.series, direct);
    case 'floor-orthanc-series':
      return nodeFloor(setup.orthanc.dicomweb, setup.series, { ...direct, whole: true });
    case 'floor-proxy':
      return nodeFloor(setup.proxyBase, setup.series);
    default: {
      const page = name === 'floor-browser' ? 'fetch-floor' : 'fetch-floor-series';
      const r = await runInBrowser(setup.pageUrl, page, [], { timeoutMs, web: setup.series });
      return { ms: r.ms, bytes: r.netBytes ?? 0 };
    }
  }
}

export const dicomwebSection: BenchSection = {
  name: 'dicomweb',
  async run(opts: BenchOptions): Promise<SectionResult> {
    const title = 'DICOMweb loading (WADO-RS from Orthanc)';
    const missing = orthancMissing();
    if (missing) return { title, markdown: `Skipped: ${missing}.`, data: { skipped: missing }, goals: [] };
    const known: readonly string[] = LOADER_ROWS;
    const names = (opts.filters['web-loaders']?.split(',') ?? [...LOADER_ROWS]).filter((r): r is LoaderRow =>
      known.includes(r),
    );
    const floorNames = opts.filters['web-floor'] === 'no' ? [] : [...FLOOR_ROWS];
    const dims = (opts.filters['web-dims']?.split(',').map(Number) ?? [512, 512, 300]) as [number, number, number];
    const timeoutMs = (Number(opts.filters.timeout) || 300) * 1000;

    const ds = await phantomDataset(dims, opts.regen);
    await buildPage(join(REPO, 'bench/browser/vite.config.ts'));
    const setup = await startWebSetup(ds, join(OUT, 'browser-dist'));
    console.log(
      `bench: DICOMweb: ${ds.paths.length} instances (${fmt(ds.bytes / 1e6)} MB) uploaded into Orthanc in ${fmt(setup.uploadS, 1)} s; ${opts.reps} reps; page ${setup.pageUrl}`,
    );
    const rows: Row[] = names.map((name) => ({ name, runs: [], errors: [] }));
    const floors = new Map<FloorRow, FloorRun[]>(floorNames.map((n) => [n, []]));
    try {
      warmPageCache(ds);
      // Interleaved within each repetition so that drift (other work on the machine) hits all alike.
      for (let rep = 1; rep <= opts.reps; rep++) {
        for (const [name, runs] of floors) {
          try {
            const f = await floorRun(name, setup, timeoutMs);
            runs.push(f);
            console.log(
              `  dicomweb rep ${rep} ${name.padEnd(18)} ${fmt(f.ms).padStart(7)} ms  ${fmt(f.bytes / 1e6)} MB`,
            );
          } catch (e) {
            console.log(`  dicomweb rep ${rep} ${name.padEnd(18)} FAILED: ${errText(e)}`);
          }
        }
        for (const row of rows) {
          if (row.errors.length) continue; // a loader that failed once is not retried
          try {
            const web = row.name === 'voxseg-local' ? undefined : setup.series;
            const r = await runInBrowser(setup.pageUrl, PAGE_LOADER[row.name], web ? [] : ds.paths, {
              timeoutMs,
              web,
              crc: row.name !== 'cornerstone-wadors',
            });
            row.runs.push(r);
            const phases = Object.entries(r.phases ?? {}).map(([k, v]) => `${k} ${fmt(v)}`);
            console.log(
              `  dicomweb rep ${rep} ${row.name.padEnd(18)} ${fmt(r.ms).padStart(7)} ms  cpu ${fmt(r.cpuMs).padStart(7)} ms  peak ${fmt(r.peakBytes / 1e6).padStart(5)} MB` +
                (r.netBytes ? `  net ${fmt(r.netBytes / 1e6)} MB` : '') +
                `  ${r.dims.join('x')} ${r.dtype}  [${phases.join(', ')}]`,
            );
          } catch (e) {
            row.errors.push(errText(e));
            console.log(`  dicomweb rep ${rep} ${row.name.padEnd(18)} FAILED: ${errText(e)}`);
          }
        }
      }
    } finally {
      await setup.close();
    }

    const r = report(rows, floors, ds.bytes, ds.id);
    const markdown = [
      `### ${ds.label} in Orthanc: ${ds.paths.length} instances, ${fmt(ds.bytes / 1e6, 1)} MB`,
      '',
      r.loaderTable,
      '',
      r.summary,
      ...(r.floorTable ? ['', r.floorTable] : []),
      '',
      `Median of ${opts.reps} runs; each browser run in a fresh Chromium profile/process; rows interleaved per repetition. ` +
        'Time = series UIDs known (or files selected) → voxel array complete, metadata requests included. ' +
        "Orthanc (Debian orthanc + orthanc-dicomweb) runs on this machine, its CPU and the proxy's not in the CPU ms column; " +
        "both DICOMweb loaders reach it through voxseg's serving proxy (`startServer` of `voxseg serve`: same origin, credentials added by the proxy). " +
        "MB/s = the series' file bytes / time; net MB = response bytes the page received from the server (resource timings). " +
        'CPU ms and peak = the renderer process (workers included). Result check: voxseg WADO-RS must equal voxseg local byte for byte ' +
        '(CRC-32 of the voxel array); Cornerstone by the flip-tolerant fingerprint. The Node floors run in the bench process, which also runs the proxy.',
    ].join('\n');
    return {
      title,
      markdown,
      data: {
        dataset: { id: ds.id, files: ds.paths.length, bytes: ds.bytes },
        uploadS: setup.uploadS,
        ratios: r.ratios,
        rows: r.data,
        floors: Object.fromEntries(floors),
      },
      goals: r.goals,
    };
  },
};
