/**
 * Stand-ins for the app stores' tests: a viewer that records what the stores ask of it (the
 * `AppViewer` part of the Cornerstone viewer), a mesh client that records its jobs, a NIfTI file
 * as the session opens one, and a wait for queued microtasks and promise chains.
 */
import { Emitter } from '../../../../src/core/events';
import type { Vec3, Volume } from '../../../../src/core/types';
import type { SourceFile } from '../../../../src/io/dicom/source';
import { writeNifti } from '../../../../src/io/nifti/index';
import type { LabelMesh } from '../../../../src/mesh';
import type { MeshClientLike } from '../../../../src/app/surfaces/surfaces.svelte';
import type { AppViewer } from '../../../../src/app/view-state.svelte';
import { createVolume } from '../../../../src/volume/volume';
import type { ViewerEvents } from '../../../../src/viewer';

export interface Call {
  name: string;
  args: unknown[];
}

/** Every method resolves at once and is recorded in `calls`; `show` sets `current`. */
export function fakeViewer(): AppViewer & { calls: Call[]; named(name: string): unknown[][] } {
  const calls: Call[] = [];
  const rec =
    (name: string, value?: unknown) =>
    (...args: unknown[]) => {
      calls.push({ name, args });
      return value === undefined ? Promise.resolve() : value;
    };
  const v = {
    calls,
    named: (name: string) => calls.filter((c) => c.name === name).map((c) => c.args),
    events: new Emitter<ViewerEvents>(),
    current: undefined as Volume | undefined,
    show(volume: Volume) {
      v.current = volume;
      calls.push({ name: 'show', args: [volume] });
      return Promise.resolve();
    },
    showLabels: rec('showLabels'),
    labelsModified: rec('labelsModified'),
    recolorLabels: rec('recolorLabels'),
    setEditing: rec('setEditing', null),
    setMeasureTool: rec('setMeasureTool', null),
    showMeasurements: rec('showMeasurements'),
    removeMeasurement: rec('removeMeasurement', null),
    pointOnView: rec('pointOnView', { x: 0, y: 0 }),
    clearLabels: rec('clearLabels', null),
    setLabelOpacity: rec('setLabelOpacity'),
    setLabelsVisible: rec('setLabelsVisible'),
    setSegmentVisible: rec('setSegmentVisible'),
    showSurfaces: rec('showSurfaces'),
    updateSurfaces: rec('updateSurfaces'),
    clearSurfaces: rec('clearSurfaces'),
    setSurfaceVisible: rec('setSurfaceVisible'),
    setSurfaceOpacity: rec('setSurfaceOpacity'),
    setVolumeRenderingVisible: rec('setVolumeRenderingVisible'),
    setCameraPreset: rec('setCameraPreset'),
    screenshot3d: rec('screenshot3d', Promise.resolve(new Blob())),
    setPreset: rec('setPreset', null),
    setWindow: rec('setWindow', null),
    resetCamera: rec('resetCamera', null),
    scrollSlices: rec('scrollSlices', null),
    setSliceIndex: rec('setSliceIndex', null),
    sliceAt: rec('sliceAt', null),
    destroy: rec('destroy', null),
  };
  return v as unknown as AppViewer & { calls: Call[]; named(name: string): unknown[][] };
}

export interface MeshCall {
  client: number;
  kind: 'mesh' | 'update';
  labels: Volume;
  values?: readonly number[];
  lo?: Vec3;
  hi?: Vec3;
}

function mesh(label: number): LabelMesh {
  return {
    label,
    positions: new Float32Array(9),
    normals: new Float32Array(9),
    indices: new Uint32Array([0, 1, 2]),
    stats: { triangles: 1, vertices: 3, areaMm2: 1, volumeMl: 1 },
  } as unknown as LabelMesh;
}

/** Mesh clients that record their jobs in `calls` and answer one triangle per label asked for. */
export function fakeMeshers(): { calls: MeshCall[]; disposed: number[]; create: () => MeshClientLike } {
  const calls: MeshCall[] = [];
  const disposed: number[] = [];
  let next = 0;
  const create = (): MeshClientLike => {
    const client = next++;
    return {
      mesh(labels, opts = {}, job = {}) {
        calls.push({ client, kind: 'mesh', labels, values: opts.labels });
        const meshes = (opts.labels ?? []).map(mesh);
        for (const m of meshes) job.onMesh?.(m);
        return Promise.resolve({ meshes, ms: 1 });
      },
      update(labels, lo, hi) {
        calls.push({ client, kind: 'update', labels, lo: [...lo] as Vec3, hi: [...hi] as Vec3 });
        const seen = new Set<number>();
        const [nx, ny] = labels.header.dims;
        for (let z = lo[2]; z < hi[2]; z++)
          for (let y = lo[1]; y < hi[1]; y++)
            for (let x = lo[0]; x < hi[0]; x++) seen.add(labels.voxels[x + nx * (y + ny * z)]);
        seen.delete(0);
        return Promise.resolve({ meshes: [...seen].map(mesh), ms: 1 });
      },
      dispose: () => disposed.push(client),
    };
  };
  return { calls, disposed, create };
}

/** A CT-like study: `seed` varies the voxels (another study), `uid` its series UID. */
export function study(seed = 1, uid = `1.2.3.${seed}`): Volume {
  const dims: Vec3 = [24, 20, 10];
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < voxels.length; i++) voxels[i] = ((i * 7919 + seed * 104729) % 400) - 100;
  return createVolume({
    dims,
    spacing: [1, 1, 2],
    origin: [-12, -10, 0],
    voxels,
    metadata: { seriesInstanceUid: uid, seriesDescription: `Study ${seed}` },
  });
}

/** `volume` as a .nii file the session can open. */
export function niftiFile(volume: Volume, name: string): SourceFile {
  const bytes = writeNifti(volume);
  return { name, size: bytes.length, slice: (start, end) => Promise.resolve(bytes.slice(start, end)) };
}

/** Let queued microtasks and resolved promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((r) => setTimeout(r, 0));
}
