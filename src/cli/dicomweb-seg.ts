/**
 * `voxseg segment dicomweb:… --stow`: the model's label map → a DICOM SEG built as `voxseg
 * export-seg LABELS --ref SERIES --labels TABLE` builds it (the label table being the model's
 * labels: names, colours, codes; algorithm AUTOMATIC, named after the model), read back onto the
 * series as a check, then stored (STOW-RS) on the server the series came from.
 */
import { readFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
import { VoxsegError } from '../core/errors';
import type { Volume } from '../core/types';
import type { ModelManifest } from '../inference/manifest';
import type { DicomwebClient, StowResult } from '../io/dicomweb/index';
import { buildSeg, segmentsFromTable, type LabelTableEntry } from '../io/seg/index';
import { countLabels } from '../volume/labels';
import { checkReadBack, segmentStats } from './commands/export-seg-check';

export interface StowedSeg {
  server: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  segments: number;
  frames: number;
  bytes: number;
  answer: StowResult;
}

const code = (c: { code: string; scheme: string; meaning: string } | undefined) =>
  c && { scheme: c.scheme, value: c.code, meaning: c.meaning };

function packageVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? 'unknown'
    );
  } catch {
    return 'unknown';
  }
}

/** The model's labels that have voxels, as label table entries. */
export function modelLabelTable(manifest: ModelManifest, labels: Volume): LabelTableEntry[] {
  const present = new Set(Object.keys(countLabels(labels.voxels)).map(Number));
  const entries: LabelTableEntry[] = manifest.labels
    .filter((l) => present.has(l.value))
    .map((l) => ({
      value: l.value,
      name: l.name,
      color: l.color,
      ...(l.category && { category: code(l.category) }),
      ...(l.type && { type: code(l.type) }),
      ...(l.typeModifier && { typeModifier: code(l.typeModifier) }),
      algorithmType: 'AUTOMATIC' as const,
      algorithmName: manifest.id,
      algorithmVersion: manifest.version,
    }));
  // values the manifest does not name (should not happen) are kept as export-seg keeps them
  for (const v of [...present].sort((a, b) => a - b))
    if (v !== 0 && !entries.some((e) => e.value === v)) entries.push({ value: v, name: `Segment ${v}` });
  return entries;
}

/** Build the SEG of `labels` on `ref` (the retrieved series), check it, store it with `client`. */
export async function stowSeg(
  client: DicomwebClient,
  ref: Volume,
  labels: Volume,
  manifest: ModelManifest,
): Promise<StowedSeg> {
  const where = `${client.server.name}: series ${ref.header.metadata.seriesInstanceUid ?? ''}`;
  const entries = modelLabelTable(manifest, labels);
  if (!entries.length)
    throw new VoxsegError('invalid-volume', `${manifest.id} found no structure: there is no SEG to store`, {
      file: where,
    });
  const { segments, placement } = segmentsFromTable(entries, {
    algorithmType: 'AUTOMATIC',
    algorithmName: manifest.id,
  });
  const layers = [labels];
  const written = buildSeg(ref, { layers, segments: placement }, segments, {
    seriesDescription: `${manifest.name} (voxseg)`,
    softwareVersion: packageVersion(),
  });
  if (!ref.header.metadata.acquisition)
    checkReadBack(written.bytes, ref, where, segments, segmentStats(layers, placement), false);
  const answer = await client.store([written.bytes]);
  const { sopInstanceUid, seriesInstanceUid } = segUids(written.bytes);
  return {
    server: client.server.name,
    sopInstanceUid,
    seriesInstanceUid,
    segments: segments.length,
    frames: written.frames,
    bytes: written.bytes.length,
    answer,
  };
}

/** SOP Instance and Series Instance UID of the SEG just written. */
function segUids(bytes: Uint8Array): { sopInstanceUid: string; seriesInstanceUid: string } {
  const ds = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010' });
  return { sopInstanceUid: ds.string('x00080018') ?? '', seriesInstanceUid: ds.string('x0020000e') ?? '' };
}
