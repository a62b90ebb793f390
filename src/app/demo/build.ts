/**
 * The demo study: a generated CT phantom written out as a DICOM series, so that it goes through
 * the same scan/load path as a user's files. Runs in the demo worker.
 */
import { generatePhantom } from '../../phantom/index';
import { writeDicomSeries } from '../../io/dicom/write/series';
import type { Progress } from '../../core/types';
import { countLabels } from '../../volume/labels';
import type { DemoOptions, DemoTruthMessage } from './protocol';

export interface DemoBuild {
  files: { name: string; bytes: Uint8Array }[];
  /** The phantom's true labels, for "Show true labels" and for comparing a model's output. */
  truth: DemoTruthMessage;
}

/** Phantom generation counts as the first 80% of the work, writing DICOM as the rest. */
export function buildDemoFiles(options: DemoOptions, onProgress: (p: Progress) => void): DemoBuild {
  const { ct, labels, labelTable } = generatePhantom({
    seed: options.seed,
    dims: options.dims,
    spacing: options.spacing,
    onProgress: (p) => onProgress({ done: (0.8 * p.done) / p.total, total: 1, stage: 'Generating demo phantom' }),
  });
  onProgress({ done: 0.8, total: 1, stage: 'Writing demo DICOM files' });
  const files = writeDicomSeries(ct, {
    patientName: 'Phantom^Demo',
    patientId: 'VOXSEG-DEMO',
    seriesDescription: 'Demo phantom CT',
    studyDescription: 'voxseg demo',
    windowCenter: 40,
    windowWidth: 400,
    onProgress: (p) =>
      onProgress({ done: 0.8 + (0.2 * p.done) / p.total, total: 1, stage: 'Writing demo DICOM files' }),
  });
  const voxels = labels.voxels as Uint8Array;
  return { files, truth: { header: labels.header, voxels, table: labelTable, voxelsPerLabel: countLabels(voxels) } };
}
