/**
 * The Measure panel's store: which measurement tool has the left button, the open study's
 * measurements with their values, the live probe under the mouse, SR export.
 *
 * Decisions:
 * - The views draw and edit (Cornerstone's tools, through the `Viewer`); this store gets plain
 *   objects from the viewer's `measure` events and computes each value from the image on screen.
 * - A measurement tool and an editing tool never hold the left button together: picking a
 *   measurement tool sets the editing tool to Navigate; `editingTool` (called when the editing
 *   tool changes) turns measuring off.
 * - The list is kept per study (`studyKey`, like the autosave) in its own IndexedDB store, written
 *   after each change and loaded when a study opens; it is drawn again each time the study's
 *   image is on screen (showing a volume clears the views' measurements).
 */
import { errorMessage } from '../../core/errors';
import type { Vec3 } from '../../core/types';
import { writeMeasurementReport } from '../../io/sr/write';
import type { MeasureChange, MeasureKind, MprView } from '../../viewer';
import { studyKey } from '../edit/autosave';
import type { Notices } from '../notices.svelte';
import { downloadBlob } from '../surfaces/export';
import type { ViewState } from '../view-state.svelte';
import { followWorkspace, type WorkspaceSource } from '../workspace.svelte';
import { computeValues, nextLabel, toSr, valueAt, type Measurement } from './measurements';
import type { MeasureStorage } from './storage';

export interface Hover {
  view: MprView;
  world: Vec3;
  value: number | undefined;
}

/** What the store uses of the editing tool settings. */
export interface EditingTools {
  readonly tool: string;
  setTool(tool: 'navigate'): void;
}

export class Measure {
  tool = $state<MeasureKind | null>(null);
  list = $state.raw<Measurement[]>([]);
  hover = $state.raw<Hover | null>(null);
  /** The last export's outcome, shown under the buttons. */
  message = $state<{ level: 'info' | 'error'; text: string } | null>(null);
  private key: string | null = null;
  private offViewer: (() => void) | null = null;
  private readonly unfollow: () => void;

  constructor(
    private readonly view: ViewState,
    private readonly source: WorkspaceSource,
    private readonly editing: EditingTools,
    private readonly storage: MeasureStorage | null,
    private readonly notices: Notices,
  ) {
    this.unfollow = followWorkspace(source, (ws) => {
      const key = studyKey(ws.study);
      this.key = key;
      this.list = [];
      this.message = null;
      void this.storage
        ?.load(key)
        .then((list) => {
          if (this.key !== key) return;
          this.list = list;
          if (ws.onScreen) void this.draw();
        })
        .catch(() => undefined);
      const off = ws.events.on('shown', () => void this.draw());
      return () => {
        off();
        if (this.key === key) this.key = null;
        this.list = [];
      };
    });
  }

  /** Listen to the viewer (call once it exists). */
  attach(): void {
    const viewer = this.view.viewer;
    if (!viewer || this.offViewer) return;
    const offs = [viewer.events.on('measure', (c) => this.change(c)), viewer.events.on('hover', (h) => this.probe(h))];
    this.offViewer = () => offs.forEach((off) => off());
    viewer.setMeasureTool(this.tool);
  }

  /** Put a measurement tool on the left button (the same one again, or null: window/level). */
  setTool(kind: MeasureKind | null): void {
    const next = kind === this.tool ? null : kind;
    if (next && this.editing.tool !== 'navigate') this.editing.setTool('navigate');
    this.tool = next;
    this.view.viewer?.setMeasureTool(next);
  }

  /** The editing tool changed: an editing tool takes the left button back from measuring. */
  editingTool(tool: string): void {
    if (tool !== 'navigate' && this.tool) {
      this.tool = null;
      this.view.viewer?.setMeasureTool(null);
    }
  }

  remove(uid: string): void {
    this.view.viewer?.removeMeasurement(uid);
    this.setList(this.list.filter((m) => m.uid !== uid));
  }

  /** Unit of the image's values ('HU' for CT). */
  get unit(): string {
    const md = this.source.workspace?.study.header.metadata;
    return md?.unit ?? (md?.modality === 'CT' ? 'HU' : '');
  }

  /** Download the measurements as a DICOM SR (Comprehensive 3D, TID 1500). */
  exportSr(): void {
    const ws = this.source.workspace;
    if (!ws) return;
    try {
      const bytes = writeMeasurementReport(ws.study, toSr(this.list), { seriesDescription: 'voxseg measurements' });
      const name = 'measurements-sr.dcm';
      downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/dicom' }), name);
      this.message = { level: 'info', text: `Saved ${name}` };
    } catch (err) {
      this.message = { level: 'error', text: `Could not export the SR: ${errorMessage(err)}` };
    }
  }

  dispose(): void {
    this.unfollow();
    this.offViewer?.();
  }

  private change({ type, measurement: m }: MeasureChange): void {
    const image = this.source.workspace?.image;
    if (!image || this.source.preview) return;
    if (type === 'removed') return this.setList(this.list.filter((x) => x.uid !== m.uid));
    const values = computeValues(image, m);
    const known = this.list.find((x) => x.uid === m.uid);
    if (known) this.setList(this.list.map((x) => (x.uid === m.uid ? { ...x, ...m, values } : x)));
    else if (type === 'completed') this.setList([...this.list, { ...m, label: nextLabel(this.list, m.kind), values }]);
  }

  private probe(h: { view: MprView; world: Vec3 } | null): void {
    const image = this.source.workspace?.image;
    this.hover = h && image ? { ...h, value: valueAt(image, h.world) } : null;
  }

  private setList(list: Measurement[]): void {
    this.list = list;
    const key = this.key;
    if (key && this.storage)
      this.storage.save(key, list).catch((err) =>
        this.notices.push({
          level: 'warning',
          title: 'Measurements not saved',
          message: `${errorMessage(err)}. They stay on screen; export them as DICOM SR to keep them.`,
        }),
      );
  }

  private draw(): Promise<void> {
    return this.view.viewer?.showMeasurements(this.list) ?? Promise.resolve();
  }
}
