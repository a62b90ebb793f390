/**
 * _Send to PACS_: the open study's segmentation as one DICOM SEG — built by the same code as
 * _Export DICOM SEG_ (`segInstance`) — stored with STOW-RS on the server the study came from, or
 * on the server the user picks; the server's answer is kept per instance for the dialog.
 *
 * Images with blank UIDs (a local series whose files lack Study/Series/SOP Instance UID): the SEG
 * references UIDs derived for them (io/seg `sourceUids`), which an archive does not know, and
 * Orthanc refuses such images outright. The dialog says so and offers to send the images too,
 * with exactly those UIDs filled in (io/seg `fillBlankUids`: every other byte kept), in the same
 * request as the SEG; nothing is sent until the user ticks that.
 */
import { errorMessage, VoxsegError } from '../../core/errors';
import type { Volume } from '../../core/types';
import type { StowResult } from '../../io/dicomweb/types';
import type { SourceFile } from '../../io/dicom/source';
import type { SourceUids } from '../../io/seg/index';
import { rowOf } from '../derived';
import type { Editor } from '../edit/editor.svelte';
import { segInstance } from '../edit/transfer.svelte';
import type { Session } from '../session.svelte';
import type { StudyBrowser } from './browser.svelte';
import type { Remote } from './remote.svelte';

export interface SendReport {
  server: string;
  result: StowResult;
  /** Instances sent: the SEG, plus the images when their UIDs were filled. */
  images: number;
}

export class Sender {
  /** The dialog is open. */
  open = $state(false);
  targetId = $state<string | null>(null);
  busy = $state(false);
  error = $state('');
  report = $state.raw<SendReport | null>(null);
  /** The attributes blank in the study's images (the SEG then references derived UIDs), [] when none. */
  blank = $state.raw<string[]>([]);
  /** The user agreed to send the images with their UIDs filled. */
  withImages = $state(false);

  constructor(
    private readonly session: Session,
    private readonly editor: Editor,
    private readonly remote: Remote,
    private readonly browser: StudyBrowser,
  ) {}

  /** Open the dialog for the segmentation on screen: target the server the study came from. */
  async show(): Promise<void> {
    this.open = true;
    this.error = '';
    this.report = null;
    this.withImages = false;
    this.targetId = this.remote.current?.serverId ?? this.browser.serverId ?? this.browser.servers[0]?.id ?? null;
    const seg = this.editor.list.seg;
    this.blank = [];
    if (!seg) return;
    const { sourceUids } = await import('../../io/seg/index');
    this.blank = sourceUids(seg.study.header.metadata).derived.map((d) => d.attribute);
  }

  close(): void {
    this.open = false;
  }

  async send(): Promise<void> {
    const seg = this.editor.list.seg;
    const client = this.targetId ? this.browser.client(this.targetId) : null;
    if (!seg || !client || this.busy) return;
    this.busy = true;
    this.error = '';
    this.report = null;
    try {
      const inst = await segInstance(seg);
      let images: Uint8Array[] = [];
      if (inst.source.derived.length) {
        if (!this.withImages)
          throw new VoxsegError(
            'usage',
            'the images have blank UIDs: tick "Send the images too" to send them with the SEG',
          );
        images = await this.filledImages(seg.study, inst.source);
      }
      const result = await client.store([...images, inst.bytes]);
      this.report = { server: client.server.name, result, images: images.length };
      // The study's series list in the PACS panel now has this SEG under its series.
      const study = this.remote.current?.studyUid;
      if (study && this.browser.details[study] && this.targetId === this.browser.serverId)
        void this.browser.toggle(study, true);
    } catch (err) {
      this.error = errorMessage(err);
    } finally {
      this.busy = false;
    }
  }

  /** The study's image files with their blank UIDs filled as the SEG references them. */
  private async filledImages(study: Volume, source: SourceUids): Promise<Uint8Array[]> {
    const { fillBlankUids, instanceUidsOf } = await import('../../io/seg/index');
    const s = this.session;
    const row = rowOf(s.rows, study, { id: s.selectedId, volume: s.volume });
    const files: SourceFile[] =
      row?.source.kind === 'dicom'
        ? row.source.series.files
        : s.rows.flatMap((r) => (r.source.kind === 'dicom' ? r.source.series.files : []));
    const wanted = new Set(instanceUidsOf(study.header.metadata));
    const out = new Map<string, Uint8Array>();
    for (const f of files) {
      const copy = fillBlankUids(await f.slice(0), source, f.name);
      if (wanted.has(copy.sopInstanceUid)) out.set(copy.sopInstanceUid, copy.bytes);
    }
    if (out.size < wanted.size)
      throw new VoxsegError('not-found', `only ${out.size} of the ${wanted.size} images of the series are still open`);
    return [...out.values()];
  }
}
