/**
 * Getting segmentations in and out: the autosave restore offer (made when an image of an open
 * study without a segmentation is on screen), export as DICOM SEG or NIfTI (+ JSON label table),
 * and import of a SEG (overlapping segments kept as layers) or a label NIfTI into the open
 * workspace. The SEG code (and dcmjs) load on first use.
 */
import { errorMessage, errorReason, VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import type { LayeredSegment } from '../../volume/segments';
import type { Segmentation } from '../../volume/segmentation';
import type { SourceUids } from '../../io/seg/index';
import type { Notices } from '../notices.svelte';
import { downloadBlob } from '../surfaces/export';
import type { Autosave, SavedSession } from './autosave';
import type { Editor } from './editor.svelte';
import { followWorkspace, type Workspace, type WorkspaceSource } from '../workspace.svelte';
import { fromSegSegments, labelTableJson, segmentsFromTable, toSegSegments } from './seg-segments';

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'segmentation';
}

/**
 * The stem of the exported label files for series `name` (a NIfTI file name or a series
 * description): 't1.nii.gz' -> 't1', so the files are 't1-labels.nii.gz' and 't1-labels.json';
 * a name that already ends in "labels" (a label map opened as a study) is not doubled.
 */
export function labelsFileBase(name: string | undefined): string {
  const stem = (name ?? '').trim().replace(/\.nii(\.gz)?$/i, '');
  const base = safeName(stem).replace(/[-_.]*labels?$/i, '');
  return base.replace(/[-_.]+$/, '') || 'segmentation';
}

export class Transfer {
  /** A saved segmentation of the study on screen, offered for restoring. */
  offer = $state.raw<SavedSession | null>(null);
  busy = $state(false);
  /** Last export/import result, one line. */
  message = $state('');
  /** The workspace and image the offer is for. */
  private offerFor: { ws: Workspace; image: Volume } | null = null;
  /** The series (its file name for a NIfTI) a volume was opened from, naming the exported files. */
  private readonly seriesName?: (v: Volume) => string;
  readonly dispose: () => void;

  constructor(
    private readonly editor: Editor,
    private readonly notices: Notices,
    private readonly autosave: Autosave | null,
    source: WorkspaceSource & { seriesName?: (v: Volume) => string },
  ) {
    this.seriesName = source.seriesName?.bind(source);
    this.dispose = followWorkspace(source, (ws) => {
      const offs = [
        ws.events.on('shown', (image) => void this.look(ws, image)),
        ws.events.on('image', () => (this.offer = null)),
        ws.events.on('segmentation', (seg) => seg && (this.offer = null)),
      ];
      if (ws.onScreen) void this.look(ws, ws.image);
      return () => {
        for (const off of offs) off();
        this.offer = null;
        this.offerFor = null;
        this.message = ''; // "Saved …" was about the study before
      };
    });
  }

  /** An image of `ws` is on screen: look for a saved segmentation of it. */
  private async look(ws: Workspace, image: Volume): Promise<void> {
    this.offer = null;
    const at = (this.offerFor = { ws, image });
    if (!this.autosave || ws.seg) return;
    try {
      const saved = await this.autosave.find(image);
      if (this.offerFor === at && saved && !ws.seg) this.offer = saved;
    } catch (err) {
      console.warn(`autosave unavailable: ${errorMessage(err)}`);
    }
  }

  async restore(): Promise<void> {
    const at = this.offerFor;
    const offer = this.offer;
    if (!at || !offer || !this.autosave) return;
    this.offer = null;
    try {
      const seg = await this.autosave.load(at.image);
      if (!seg) throw new Error('the saved journal is incomplete');
      if (this.offerFor !== at) return;
      at.ws.restore(seg, offer.savedAt);
      this.message = `Restored ${seg.segments.length} segments saved ${new Date(offer.savedAt).toLocaleString()}`;
    } catch (err) {
      this.notices.push({
        level: 'error',
        title: 'Could not restore the saved segmentation',
        message: errorMessage(err),
        study: true,
      });
    }
  }

  async discard(): Promise<void> {
    const at = this.offerFor;
    this.offer = null;
    if (at && this.autosave) await this.autosave.discard(at.image);
  }

  /** Download the segmentation as a DICOM SEG (BINARY, or a Label Map SEG) referencing the study's series. */
  async exportSeg(labelmap = false): Promise<void> {
    const seg = this.editor.list.seg;
    if (!seg) return;
    await this.work('Could not export the DICOM SEG', async () => {
      const { bytes, name, segments, derivedNote } = await segInstance(seg, labelmap);
      downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/dicom' }), name);
      this.message = `Saved ${name}: ${segments} segments, ${(bytes.length / 1024).toFixed(0)} KB${derivedNote ? `. Note: ${derivedNote}` : ''}`;
    });
  }

  /** Download each label layer as .nii.gz, with the label table as .json. */
  async exportNifti(): Promise<void> {
    const seg = this.editor.list.seg;
    if (!seg) return;
    await this.work('Could not export the NIfTI label map', async () => {
      const { writeNifti } = await import('../../io/nifti/index');
      const base = labelsFileBase(this.seriesName?.(seg.study) || seg.study.header.metadata.seriesDescription);
      const names: string[] = [];
      seg.layers.forEach((layer, i) => {
        const name = seg.layers.length > 1 ? `${base}-labels-layer${i + 1}.nii.gz` : `${base}-labels.nii.gz`;
        const bytes = writeNifti(layer, { gzip: true });
        downloadBlob(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/gzip' }), name);
        names.push(name);
      });
      const table = `${base}-labels.json`;
      downloadBlob(
        new Blob([labelTableJson(seg.segments as readonly LayeredSegment[])], { type: 'application/json' }),
        table,
      );
      this.message = `Saved ${[...names, table].join(', ')}`;
    });
  }

  /** Import a DICOM SEG or a label NIfTI (with an optional .json label table) onto `study`. */
  async importFiles(files: File[], study: Volume): Promise<void> {
    await this.work('Could not import the segmentation', async () => {
      const nifti = files.find((f) => /\.nii(\.gz)?$/i.test(f.name));
      const json = files.find((f) => /\.json$/i.test(f.name));
      const dicom = files.find((f) => f !== nifti && f !== json);
      if (nifti) {
        const { readNifti } = await import('../../io/nifti/index');
        const { alignToGrid } = await import('../../io/seg/index');
        const labels = alignToGrid(readNifti(new Uint8Array(await nifti.arrayBuffer()), nifti.name), study, nifti.name);
        const meta = await segmentsFromTable(labels, json ? await json.text() : null, json?.name);
        if (
          !this.editor.show({
            study,
            labels,
            segments: meta,
            voxelsPerLabel: {},
            title: nifti.name,
            note: 'Imported NIfTI label map',
            meta,
          })
        )
          return;
        this.message = `Imported ${nifti.name}: ${meta.length} segments`;
      } else if (dicom) {
        await this.showSeg(new Uint8Array(await dicom.arrayBuffer()), dicom.name, study);
      } else throw new VoxsegError('usage', 'pick a DICOM SEG file or a .nii/.nii.gz label map');
    });
  }

  /** Import a DICOM SEG held in memory (e.g. retrieved from a DICOMweb server) onto `study`; false when it failed. */
  async importSeg(bytes: Uint8Array, name: string, study: Volume): Promise<boolean> {
    let ok = false;
    await this.work('Could not import the segmentation', async () => {
      ok = await this.showSeg(bytes, name, study);
    });
    return ok;
  }

  /** A DICOM SEG onto `study`: its segments as layers, its warnings to the banner. */
  private async showSeg(bytes: Uint8Array, name: string, study: Volume): Promise<boolean> {
    const { readSegAsync } = await import('../../io/seg/index');
    const result = await readSegAsync(bytes, study, name);
    const meta = fromSegSegments(result.segments, result.segmentLayer);
    if (
      !this.editor.show({
        study,
        labels: result.layers[0],
        layers: result.layers,
        segments: meta,
        voxelsPerLabel: {},
        title: name,
        note: 'Imported DICOM SEG',
        meta,
      })
    )
      return false;
    // each warning names a segment and what was done (renumbered, binarized, kept empty, ...)
    for (const w of result.warnings)
      this.notices.push({
        level: 'warning',
        title: 'DICOM SEG imported with a warning',
        file: name,
        message: w,
        study: true,
      });
    this.message = `Imported ${name}: ${meta.length} segments in ${result.layers.length} layer(s)${result.warnings.length ? ` — ${result.warnings.length} warning(s), see the notices` : ''}`;
    return true;
  }

  private async work(title: string, fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.message = '';
    try {
      await fn();
    } catch (err) {
      const file = err instanceof VoxsegError ? err.file : undefined;
      this.notices.push({ level: 'error', title, file, message: errorReason(err), study: true });
    } finally {
      this.busy = false;
    }
  }
}

/** What `segInstance` built: the SEG's Part-10 bytes, a file name, and what to tell the user. */
export interface SegInstance {
  bytes: Uint8Array;
  name: string;
  segments: number;
  /** The study and series UIDs the SEG references (derived where the images left them blank). */
  source: SourceUids;
  /** A note when the UIDs were derived (the images' own are blank), else undefined. */
  derivedNote?: string;
}

/**
 * The segmentation as one DICOM SEG instance (BINARY, or a Label Map SEG) referencing the study's
 * series: what _Export DICOM SEG_ downloads and _Send to PACS_ stores. Throws when there is nothing to write.
 */
export async function segInstance(seg: Segmentation, labelmap = false): Promise<SegInstance> {
  const { buildSeg, derivedUidsWarning } = await import('../../io/seg/index');
  const segments = seg.segments as readonly LayeredSegment[];
  if (segments.length === 0) throw new VoxsegError('usage', 'there are no segments to export');
  const { segSegments, entries } = toSegSegments(segments);
  const { bytes, source } = buildSeg(seg.study, { layers: seg.layers, segments: entries }, segSegments, {
    seriesDescription: `Segmentation (${segments.length} segments)`,
    labelmap,
  });
  const name = `${safeName(seg.study.header.metadata.seriesDescription ?? 'study')}.${labelmap ? 'labelmap-' : ''}seg.dcm`;
  return { bytes, name, segments: segments.length, source, derivedNote: derivedUidsWarning(source, 'this study') };
}
