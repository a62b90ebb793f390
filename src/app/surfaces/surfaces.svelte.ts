/**
 * The 3D surfaces of the label map on screen: meshed in the mesh worker (label by label, each shown
 * as it arrives), then shown in the 3D view with per-segment visibility and opacity, camera
 * presets, a PNG screenshot and file export. Components read the fields and call the methods.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import type { Progress, Volume } from '../../core/types';
import { MeshClient, type LabelMesh, type MeshWorkerLike } from '../../mesh';
import type { CameraPresetName, SegmentInfo, SurfaceInput } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';

export interface SurfaceRow extends SegmentInfo {
  triangles: number;
  areaMm2: number;
  volumeMl: number;
  visible: boolean;
  opacity: number;
}

/** 'meshing' while the worker runs; the e2e tests wait on 'shown'. */
export type SurfaceStatus = 'none' | 'meshing' | 'shown' | 'failed';

function createWorker(): MeshWorkerLike {
  return new Worker(new URL('../../mesh/worker.ts', import.meta.url), { type: 'module', name: 'voxseg-mesh' }) as unknown as MeshWorkerLike;
}

export class Surfaces {
  status = $state<SurfaceStatus>('none');
  progress = $state.raw<Progress | null>(null);
  rows = $state.raw<SurfaceRow[]>([]);
  /** Smoothing iterations for the next build; null = the mesher's default for the grid. */
  smoothing = $state<number | null>(null);
  /** Whether the volume rendering shows behind the surfaces. */
  volumeRendering = $state(false);
  /** Worker time of the last build or update, ms. */
  ms = $state(0);
  /** Meshes by label value (buffers; not reactive). */
  readonly meshes = new Map<number, LabelMesh>();
  private labels: Volume | null = null;
  private segments: readonly SegmentInfo[] = [];
  private client: MeshClient | null = null;
  private generation = 0;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
  ) {}

  /** Mesh `labels` and show the surfaces, replacing any. Resolves once all are on screen. */
  async build(labels: Volume, segments: readonly SegmentInfo[]): Promise<void> {
    const viewer = this.view.viewer;
    if (!viewer) return;
    const gen = ++this.generation;
    this.labels = labels;
    this.segments = segments;
    this.meshes.clear();
    this.rows = [];
    this.status = 'meshing';
    this.progress = { done: 0, total: 1, stage: 'Meshing labels' };
    this.volumeRendering = false;
    const known = new Set(segments.map((s) => s.value));
    const client = (this.client ??= new MeshClient(createWorker));
    let first = true;
    try {
      const result = await client.mesh(labels, { smoothing: this.smoothing ?? undefined, labels: segments.map((s) => s.value) }, {
        onProgress: (p) => gen === this.generation && (this.progress = p),
        onMesh: (mesh) => {
          if (gen !== this.generation || !known.has(mesh.label)) return;
          this.meshes.set(mesh.label, mesh);
          this.rows = this.toRows();
          const input = this.input(mesh);
          if (first) void viewer.showSurfaces(input ? [input] : []);
          else if (input) void viewer.updateSurfaces([input]);
          first = false;
        },
      });
      if (gen !== this.generation) return;
      if (first) await viewer.showSurfaces([]);
      await viewer.setCameraPreset('anterior');
      this.ms = result.ms;
      this.status = 'shown';
    } catch (err) {
      if (gen !== this.generation || (err instanceof VoxsegError && err.code === 'cancelled')) return;
      this.status = 'failed';
      this.notices.push({ level: 'error', title: 'Could not build the 3D surfaces', message: errorMessage(err) });
    } finally {
      if (gen === this.generation) this.progress = null;
    }
  }

  /** The label map was edited inside index box [lo, hi): re-mesh only the labels that changed. */
  async edited(lo: [number, number, number], hi: [number, number, number]): Promise<void> {
    const viewer = this.view.viewer;
    if (!viewer || !this.client || !this.labels || this.status !== 'shown') return;
    const gen = this.generation;
    const result = await this.client.update(this.labels, lo, hi);
    if (gen !== this.generation) return;
    for (const m of result.meshes) {
      if (m.stats.triangles === 0) this.meshes.delete(m.label);
      else this.meshes.set(m.label, m);
    }
    this.rows = this.toRows();
    this.ms = result.ms;
    await viewer.updateSurfaces(result.meshes.map((m) => this.input(m) ?? { value: m.label, name: '', color: [0, 0, 0], positions: new Float32Array(0), normals: new Float32Array(0), indices: new Uint32Array(0) }));
  }

  /** Build again with the current smoothing. */
  rebuild(): void {
    if (this.labels) void this.build(this.labels, this.segments);
  }

  clear(): void {
    this.generation++;
    this.client?.dispose();
    this.client = null;
    this.meshes.clear();
    this.labels = null;
    this.rows = [];
    this.progress = null;
    if (this.status !== 'none') void this.view.viewer?.clearSurfaces();
    this.status = 'none';
  }

  setVisible(value: number, visible: boolean): void {
    this.rows = this.rows.map((r) => (r.value === value ? { ...r, visible } : r));
    void this.view.viewer?.setSurfaceVisible(value, visible);
  }

  setOpacity(value: number, opacity: number): void {
    this.rows = this.rows.map((r) => (r.value === value ? { ...r, opacity } : r));
    void this.view.viewer?.setSurfaceOpacity(value, opacity);
  }

  setVolumeRendering(on: boolean): void {
    this.volumeRendering = on;
    void this.view.viewer?.setVolumeRenderingVisible(on);
  }

  preset(name: CameraPresetName): Promise<void> {
    return this.view.viewer?.setCameraPreset(name) ?? Promise.resolve();
  }

  /** PNG of the 3D view as shown. */
  async screenshot(): Promise<Blob | null> {
    return (await this.view.viewer?.screenshot3d()) ?? null;
  }

  /** The shown meshes with their segment name and colour, in label order (for export). */
  parts(onlyVisible: boolean): { name: string; color: [number, number, number]; mesh: LabelMesh }[] {
    return this.rows.filter((r) => !onlyVisible || r.visible).flatMap((r) => {
      const mesh = this.meshes.get(r.value);
      return mesh ? [{ name: r.name, color: r.color, mesh }] : [];
    });
  }

  private input(mesh: LabelMesh): SurfaceInput | null {
    const s = this.segments.find((x) => x.value === mesh.label);
    if (!s) return null;
    return { value: s.value, name: s.name, color: s.color, positions: mesh.positions, normals: mesh.normals, indices: mesh.indices };
  }

  private toRows(): SurfaceRow[] {
    const old = new Map(this.rows.map((r) => [r.value, r]));
    return this.segments.flatMap((s) => {
      const m = this.meshes.get(s.value);
      if (!m || m.stats.triangles === 0) return [];
      const prev = old.get(s.value);
      return [{ ...s, triangles: m.stats.triangles, areaMm2: m.stats.areaMm2, volumeMl: m.stats.volumeMl, visible: prev?.visible ?? true, opacity: prev?.opacity ?? 1 }];
    });
  }
}
