/**
 * One mesh-bench job in its own Node process (run with --expose-gc): `child.ts JOB_JSON`.
 * Engines: `voxseg` (meshLabels, default options), `voxseg-raw` (meshLabels { smoothing: 0 }),
 * `vtk` (vtkImageMarchingCubes per label, see vtk.ts) and `edit` (IncrementalMesher: meshAll, then
 * ball edits each followed by a timed update). Prints JSON lines (`kind`: info, label, run, meshAll,
 * edit, done); vtk prints a line per label as it goes, so a run cut off by the time limit still
 * says how far it got.
 *
 * Before the clock, the same engine meshes a small phantom label map once (64x64x32, all phantom
 * labels) so every engine is measured with its hot code compiled, and garbage is collected before
 * each timed repetition. The input is loaded before all of it.
 */
import type { Vec3, Volume } from '../../src/core/types';
import * as meshModule from '../../src/mesh/index';
import { IncrementalMesher, meshLabels, type LabelMesh, type MeshOptions } from '../../src/mesh/index';
import { generatePhantom } from '../../src/phantom/index';
import { beginSelfMeasure } from '../lib/proc';
import { editSites, paintBall } from './edits';
import { loadInput, presentLabels, type MeshInput } from './inputs';
import { vtkMeshLabel, type VtkLabelRun } from './vtk';

export type MeshEngine = 'voxseg' | 'voxseg-raw' | 'vtk' | 'edit';

export interface MeshJob {
  engine: MeshEngine;
  input: MeshInput;
  reps: number;
  /** edit: how many edits (one site per label, at most this many) and the ball's radius in voxels. */
  edits?: number;
  radius?: number;
}

/** One timed repetition of a whole-map engine. */
export interface MeshRun {
  rep: number;
  ms: number;
  cpuMs: number;
  peakGrowthBytes: number;
  peakMethod: 'hwm' | 'maxrss';
  triangles: number;
  vertices: number;
  /** vtk only: sums over the labels. */
  maskMs?: number;
  mcMs?: number;
  perLabel: { label: number; triangles: number }[];
}

export interface EditRun {
  i: number;
  label: number;
  centre: [number, number, number];
  box: { lo: [number, number, number]; hi: [number, number, number] };
  changed: number;
  ms: number;
  remeshed: { label: number; triangles: number }[];
}

const emit = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

const OPTIONS: Record<'voxseg' | 'voxseg-raw' | 'edit', MeshOptions> = {
  voxseg: {},
  'voxseg-raw': { smoothing: 0 },
  edit: {},
};

function wholeMap(
  engine: MeshEngine,
  labels: Volume,
  which: number[],
  rep: number,
): Omit<MeshRun, 'rep' | 'ms' | 'cpuMs' | 'peakGrowthBytes' | 'peakMethod'> {
  if (engine === 'vtk') {
    const runs: VtkLabelRun[] = [];
    for (const l of which) {
      const r = vtkMeshLabel(labels, l);
      runs.push(r);
      if (rep > 0) emit({ kind: 'label', rep, ...r });
    }
    return {
      triangles: runs.reduce((s, r) => s + r.triangles, 0),
      vertices: runs.reduce((s, r) => s + r.points, 0),
      maskMs: runs.reduce((s, r) => s + r.maskMs, 0),
      mcMs: runs.reduce((s, r) => s + r.mcMs, 0),
      perLabel: runs.map((r) => ({ label: r.label, triangles: r.triangles })),
    };
  }
  const meshes: LabelMesh[] = meshLabels(labels, OPTIONS[engine as 'voxseg']);
  return {
    triangles: meshes.reduce((s, m) => s + m.stats.triangles, 0),
    vertices: meshes.reduce((s, m) => s + m.stats.vertices, 0),
    perLabel: meshes.map((m) => ({ label: m.label, triangles: m.stats.triangles })),
  };
}

const job = JSON.parse(process.argv[2] ?? '') as MeshJob;
const labels = loadInput(job.input);
const which = presentLabels(labels);
/** The smoothing meshLabels' defaults pick for this grid (newer meshers choose it from the spacing). */
function defaultSmoothing(spacing: Readonly<Vec3>): { iterations: number; passBand: number } {
  const pick = (meshModule as { defaultSmoothing?: (s: Readonly<Vec3>) => { iterations: number; passBand: number } })
    .defaultSmoothing;
  return pick ? pick(spacing) : { iterations: meshModule.DEFAULT_SMOOTHING, passBand: meshModule.DEFAULT_PASS_BAND };
}
emit({
  kind: 'info',
  dims: [...labels.header.dims],
  spacing: [...labels.header.spacing],
  dtype: labels.header.dtype,
  labels: which.length,
  defaultSmoothing: defaultSmoothing(labels.header.spacing),
});

// Warm-up (untimed): the same engine on a small label map.
const small = generatePhantom({ seed: 2, dims: [64, 64, 32], spacing: [5.6, 5.6, 14], noise: 0, blur: false }).labels;
if (job.engine === 'edit') new IncrementalMesher(small).meshAll();
else wholeMap(job.engine, small, presentLabels(small), 0);

if (job.engine !== 'edit') {
  for (let rep = 1; rep <= job.reps; rep++) {
    const mem = await beginSelfMeasure();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = wholeMap(job.engine, labels, which, rep);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    emit({
      kind: 'run',
      rep,
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      peakGrowthBytes: mem.peak() - mem.base,
      peakMethod: mem.exact ? 'hwm' : 'maxrss',
      ...r,
    } satisfies MeshRun & { kind: string });
  }
} else {
  const mesher = new IncrementalMesher(labels, OPTIONS.edit);
  const t0 = performance.now();
  const all = mesher.meshAll();
  emit({ kind: 'meshAll', ms: performance.now() - t0, triangles: all.reduce((s, m) => s + m.stats.triangles, 0) });
  // Sites are chosen on the map as loaded; the edits then accumulate, as in a painting session.
  const sites = editSites(labels, job.edits ?? 8);
  for (const [i, site] of sites.entries()) {
    const { box, changed } = paintBall(labels, site, job.radius ?? 8);
    const t = performance.now();
    const meshes = mesher.update(box);
    const ms = performance.now() - t;
    emit({
      kind: 'edit',
      i,
      label: site.label,
      centre: site.centre,
      box,
      changed,
      ms,
      remeshed: meshes.map((m) => ({ label: m.label, triangles: m.stats.triangles })),
    } satisfies EditRun & { kind: string });
  }
}
emit({ kind: 'done' });
