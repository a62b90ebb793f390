/**
 * A model's evaluation report (`voxseg evaluate` writes it; schema voxseg-report/1): Dice and 95%
 * Hausdorff distance per label on held-out cases, and runtime. The model card shows its summary.
 */
import { VoxsegError } from '../core/errors';

export interface LabelScore {
  dice: number;
  /** mm; null when one of the two maps has no voxels of the label. */
  hd95: number | null;
  truthVoxels: number;
  predVoxels: number;
}

export interface ReportCase {
  name: string;
  source: 'phantom' | 'pair';
  seed?: number;
  /** Phantom case kind ('demo' or 'varied'). */
  kind?: string;
  /** Image and label files of a pair. */
  image?: string;
  labelsFile?: string;
  dims: number[];
  spacing: number[];
  /** Seconds of the segmentation pipeline (preprocessing, model, labels back on the grid). */
  seconds: number;
  /** Per model label name. */
  labels: Record<string, LabelScore>;
}

export interface LabelSummary {
  meanDice: number;
  minDice: number;
  meanHd95: number | null;
  maxHd95: number | null;
  /** Cases counted: those where the truth or the prediction has the label. */
  cases: number;
  /** Cases (of those counted) without an HD95: exactly one side empty. */
  hd95Missing?: number;
}

export interface EvalReport {
  schema: 'voxseg-report/1';
  model: { id: string; name: string; version: string; sha256?: string };
  created: string;
  runtime: Record<string, unknown>;
  cases: ReportCase[];
  summary: Record<string, LabelSummary>;
  meanSeconds: number;
}

/** Check the parts the app reads; throws VoxsegError('invalid-model') naming `source`. */
export function parseReport(json: unknown, source = 'report.json'): EvalReport {
  const fail = (msg: string): never => {
    throw new VoxsegError('invalid-model', `evaluation report: ${msg}`, { file: source });
  };
  if (typeof json !== 'object' || json === null) fail('not a JSON object');
  const r = json as Partial<EvalReport>;
  if (r.schema !== 'voxseg-report/1') fail(`schema must be "voxseg-report/1", got ${JSON.stringify(r.schema)}`);
  if (!r.model || typeof r.model.id !== 'string') fail('model.id missing');
  if (!Array.isArray(r.cases)) fail('cases must be an array');
  if (typeof r.summary !== 'object' || r.summary === null) fail('summary missing');
  for (const [name, s] of Object.entries(r.summary!)) {
    if (typeof s?.meanDice !== 'number' || typeof s.minDice !== 'number')
      fail(`summary.${name} needs meanDice and minDice`);
  }
  return r as EvalReport;
}
