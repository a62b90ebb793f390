/**
 * The demo study: a generated CT phantom written out as a DICOM series, so that it goes through
 * the same scan/load path as a user's files. Runs in the demo worker.
 */
import { generatePhantom } from '../../phantom/index';
import { writeDicomSeries } from '../../dicom/write/series';
import type { Progress } from '../../core/types';
import type { DemoOptions } from './protocol';

/** Phantom generation counts as the first 80% of the work, writing DICOM as the rest. */
export function buildDemoFiles(options: DemoOptions, onProgress: (p: Progress) => void): { name: string; bytes: Uint8Array }[] {
  const { ct } = generatePhantom({
    seed: options.seed,
    dims: options.dims,
    spacing: options.spacing,
    onProgress: (p) => onProgress({ done: (0.8 * p.done) / p.total, total: 1, stage: 'Generating demo phantom' }),
  });
  onProgress({ done: 0.8, total: 1, stage: 'Writing demo DICOM files' });
  return writeDicomSeries(ct, {
    patientName: 'Phantom^Demo',
    patientId: 'VOXSEG-DEMO',
    seriesDescription: 'Demo phantom CT',
    studyDescription: 'voxseg demo',
    windowCenter: 40,
    windowWidth: 400,
    onProgress: (p) => onProgress({ done: 0.8 + (0.2 * p.done) / p.total, total: 1, stage: 'Writing demo DICOM files' }),
  });
}
