/**
 * The 3D surfaces of the study's segmentation: every label layer meshed (segments of different
 * layers may overlap, e.g. a DICOM SEG import), each label shown as it arrives, then shown in the
 * 3D view with per-segment visibility and opacity, camera presets, a PNG screenshot and file export.
 *
 * It follows the open workspace: a segmentation adopted there (or the image shown again) is meshed
 * whole; a committed change re-meshes only its box, layer by layer; a structure change or a model
 * result replacing the labels meshes again; renames and recolours only repaint.
 *
 * One mesh client (one worker) per label layer: a client holds the label map it meshed and updates
 * it from edited boxes, so layers kept apart never make each other re-mesh whole, and the layers
 * of a multi-layer import mesh side by side. Updates of a layer run one at a time; boxes edited
 * meanwhile are merged into the next one. Components read the fields and call the methods.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import type { IndexBox, Progress, Vec3, Volume } from '../../core/types';
import { MeshClient, type LabelMesh, type MeshWorkerLike } from '../../mesh';
import type { SegmentationChange } from '../../volume/segmentation';
import type { LayeredSegment } from '../../volume/segments';
import type { CameraPresetName, SegmentInfo, SurfaceInput } from '../../viewer';
import type { Notices } from '../notices.svelte';
import type { ViewState } from '../view-state.svelte';
import { followWorkspace, type Commit, type Workspace, type WorkspaceSource } from '../workspace.svelte';
import { unionBox } from '../edit/strokes';
import { emptySurface, info, surfaceInput, surfaceRows, type SurfaceRow } from './rows';

export type { SurfaceRow } from './rows';

/** 'meshing' while the worker runs; the e2e tests wait on 'shown'. */
export type SurfaceStatus = 'none' | 'meshing' | 'shown' | 'failed';

function createWorker(): MeshWorkerLike {
  return new Worker(new URL('../../mesh/worker.ts', import.meta.url), { type: 'module', name: 'voxseg-mesh' });
}

/** What the surfaces use of a mesh client (one per label layer). */
export type MeshClientLike = Pick<MeshClient, 'mesh' | 'update' | 'dispose'>;

/** One label layer and its mesher: the map it meshed, the box edited since, an update running. */
interface LayerMesher {
  client: MeshClientLike;
  labels: Volume;
  pending: IndexBox | null;
  /** Label values written or overwritten inside `pending` (the worker re-meshes only these). */
  values: Set<number>;
  busy: boolean;
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
  /** Meshes by label value, over every layer (buffers; not reactive). */
  readonly meshes = new Map<number, LabelMesh>();
  readonly dispose: () => void;
  private segments: readonly SegmentInfo[] = [];
  private layers: LayerMesher[] = [];
  private ws: Workspace | null = null;
  private generation = 0;
  private rebuildQueued = false;

  constructor(
    private readonly view: ViewState,
    private readonly notices: Notices,
    source: WorkspaceSource,
    private readonly createClient: () => MeshClientLike = () => new MeshClient(createWorker),
  ) {
    this.dispose = followWorkspace(source, (ws) => this.follow(ws));
  }

  private follow(ws: Workspace): () => void {
    this.ws = ws;
    const offs = [
      ws.events.on('segmentation', (seg) => (seg ? this.queueBuild() : this.clear())),
      ws.events.on('shown', () => this.queueBuild()),
      ws.events.on('change', (c) => this.changed(c)),
      ws.events.on('committed', (c) => this.committed(c)),
    ];
    if (ws.seg && ws.onScreen) this.queueBuild();
    return () => {
      for (const off of offs) off();
      this.ws = null;
      this.clear();
    };
  }

  /** Mesh every layer of the workspace's segmentation and show the surfaces, replacing any. Resolves once all are on screen. */
  async build(): Promise<void> {
    this.rebuildQueued = false;
    const viewer = this.view.viewer;
    const seg = this.ws?.onScreen ? this.ws.seg : null;
    if (!viewer || !seg) return;
    this.stopLayers();
    const gen = ++this.generation;
    this.segments = seg.segments.map(info);
    this.meshes.clear();
    this.rows = [];
    this.status = 'meshing';
    this.progress = { done: 0, total: 1, stage: 'Meshing labels' };
    this.volumeRendering = false;
    const segments = seg.segments as readonly LayeredSegment[];
    this.layers = seg.layers.map((labels) => ({
      client: this.createClient(),
      labels,
      pending: null,
      values: new Set(),
      busy: false,
    }));
    let first = true;
    const onMesh = (mesh: LabelMesh) => {
      if (gen !== this.generation || !this.segments.some((s) => s.value === mesh.label)) return;
      this.meshes.set(mesh.label, mesh);
      this.rows = this.toRows();
      const input = this.input(mesh);
      if (first) void viewer.showSurfaces(input ? [input] : []);
      else if (input) void viewer.updateSurfaces([input]);
      first = false;
    };
    try {
      const results = await Promise.all(
        this.layers.map((layer, i) => {
          const values = segments.filter((s) => (s.layer ?? 0) === i).map((s) => s.value);
          if (values.length === 0) return { ms: 0 };
          return layer.client.mesh(
            layer.labels,
            { smoothing: this.smoothing ?? undefined, labels: values },
            {
              onProgress: (p) => gen === this.generation && (this.progress = p),
              onMesh,
            },
          );
        }),
      );
      if (gen !== this.generation) return;
      if (first) await viewer.showSurfaces([]);
      await viewer.setCameraPreset('anterior');
      this.ms = Math.max(0, ...results.map((r) => r.ms));
      this.status = 'shown';
      this.layers.forEach((_, i) => this.flush(i, gen));
    } catch (err) {
      if (gen !== this.generation || (err instanceof VoxsegError && err.code === 'cancelled')) return;
      this.status = 'failed';
      this.notices.push({
        level: 'error',
        title: 'Could not build the 3D surfaces',
        message: errorMessage(err),
        study: true,
      });
    } finally {
      if (gen === this.generation) this.progress = null;
    }
  }

  /** Build again with the current smoothing. */
  rebuild(): void {
    void this.build();
  }

  clear(): void {
    this.rebuildQueued = false;
    this.stopLayers();
    this.generation++;
    this.meshes.clear();
    this.segments = [];
    this.rows = [];
    this.progress = null;
    if (this.status !== 'none') void this.view.viewer?.clearSurfaces();
    this.status = 'none';
  }

  /** One build for several reasons arriving together (a new segmentation shown, then on screen). */
  private queueBuild(): void {
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    this.generation++;
    queueMicrotask(() => {
      if (this.rebuildQueued) void this.build();
    });
  }

  private changed(c: SegmentationChange): void {
    const seg = this.ws?.seg;
    if (!seg || this.status === 'none') return;
    if (c.structure || c.kind === 'replace' || c.kind === 'restore') {
      this.queueBuild();
      return;
    }
    if (c.segments) this.repaint(seg.segments.map(info));
  }

  /** A finished change: re-mesh its boxes, layer by layer. */
  private committed(c: Commit): void {
    if (this.rebuildQueued || this.status === 'none' || this.status === 'failed') return;
    if (c.structure) {
      this.queueBuild();
      return;
    }
    for (const { layer, diff } of c.entry.voxels) {
      const l = this.layers[layer];
      if (!l || diff.voxels === 0) continue;
      l.pending = unionBox(l.pending, diff.box);
      for (const v of diff.before) if (v) l.values.add(v);
      for (const v of diff.after) if (v) l.values.add(v);
      if (this.status === 'shown') this.flush(layer, this.generation);
    }
  }

  /** Re-mesh the box edited in `layer` since its last update (one update of a layer at a time). */
  private async flush(layer: number, gen: number): Promise<void> {
    const l = this.layers[layer];
    const viewer = this.view.viewer;
    if (!l || l.busy || !l.pending || !viewer) return;
    const box = l.pending;
    const values = [...l.values];
    l.pending = null;
    l.values.clear();
    l.busy = true;
    try {
      const result = await l.client.update(l.labels, [...box.lo] as Vec3, [...box.hi] as Vec3, {}, values);
      if (gen !== this.generation) return;
      for (const m of result.meshes) {
        if (m.stats.triangles === 0) this.meshes.delete(m.label);
        else this.meshes.set(m.label, m);
      }
      this.rows = this.toRows();
      this.ms = result.ms;
      await viewer.updateSurfaces(result.meshes.map((m) => this.input(m) ?? emptySurface(m.label)));
    } catch (err) {
      if (gen !== this.generation || (err instanceof VoxsegError && err.code === 'cancelled')) return;
      this.notices.push({
        level: 'error',
        title: 'Could not update the 3D surfaces',
        message: errorMessage(err),
        study: true,
      });
    } finally {
      l.busy = false;
      if (gen === this.generation) void this.flush(layer, gen);
    }
  }

  /** Names or colours changed: show the meshes in the new colours, no meshing. */
  private repaint(next: readonly SegmentInfo[]): void {
    const old = new Map(this.segments.map((s) => [s.value, s]));
    this.segments = next;
    const changed = next.filter((s) => {
      const o = old.get(s.value);
      return o && (o.name !== s.name || o.color.some((c, i) => c !== s.color[i]));
    });
    this.rows = this.toRows();
    const inputs = changed.flatMap((s) => {
      const m = this.meshes.get(s.value);
      const input = m && this.input(m);
      return input ? [input] : [];
    });
    if (inputs.length) void this.view.viewer?.updateSurfaces(inputs);
  }

  private stopLayers(): void {
    for (const l of this.layers) l.client.dispose();
    this.layers = [];
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
    return this.rows
      .filter((r) => !onlyVisible || r.visible)
      .flatMap((r) => {
        const mesh = this.meshes.get(r.value);
        return mesh ? [{ name: r.name, color: r.color, mesh }] : [];
      });
  }

  private input(mesh: LabelMesh): SurfaceInput | null {
    return surfaceInput(this.segments, mesh);
  }

  private toRows(): SurfaceRow[] {
    return surfaceRows(this.segments, this.meshes, this.rows);
  }
}
