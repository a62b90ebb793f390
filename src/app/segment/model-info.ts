/**
 * Pure helpers of the model picker: what picked or dropped files are (an nnU-Net result folder or
 * zip to convert, a voxseg model folder to load, or neither: a study), and the facts a model card
 * lists for sliding-window and imported nnU-Net models.
 */
import type { Vec3 } from '../../core/types';
import { formatBytes, type RunEstimate } from '../../inference/estimate';
import type { ModelManifest } from '../../inference/manifest';
import { formatSeconds } from './stats';

export type ModelFilesKind = 'nnunet' | 'voxseg' | 'none';

/**
 * 'nnunet': a zip, or a folder with plans.json or a .pth checkpoint; 'voxseg': an .onnx file or a
 * manifest.json; 'none': neither (e.g. DICOM files dropped on the panel by mistake).
 */
export function modelFilesKind(paths: readonly string[]): ModelFilesKind {
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1).toLowerCase();
  if (paths.some((p) => /\.(zip|pth)$/i.test(p) || base(p) === 'plans.json')) return 'nnunet';
  if (paths.some((p) => /\.onnx$/i.test(p) || base(p) === 'manifest.json')) return 'voxseg';
  return 'none';
}

export interface ModelFacts {
  /** "1.5 × 1.5 × 1.5 mm" (model grid i, j, k). */
  spacing?: string;
  /** "128 × 128 × 128". */
  patch?: string;
  /** "fold 0, fold 1, fold 2" (imported nnU-Net models). */
  folds?: string;
  /** Mirroring TTA: "off (allowed on i, j, k)", "on: i, j, k". */
  mirroring?: string;
  /** Tile overlap: "50%". */
  overlap?: string;
}

const AXES = ['i', 'j', 'k'];
const mm = (v: number) => String(Number(v.toFixed(3)));
const times = (v: Readonly<Vec3>, f: (x: number) => string) => v.map(f).join(' × ');

export function modelFacts(m: ModelManifest): ModelFacts {
  const pre = m.preprocessing;
  if (pre.mode === 'whole-volume')
    return { spacing: `${times(pre.conform.spacing, mm)} mm`, patch: `${times(pre.conform.dims, String)} (conformed)` };
  const facts: ModelFacts = {
    spacing: `${times(pre.spacing, mm)} mm`,
    patch: times(pre.patch, String),
    overlap: `${Math.round(pre.overlap * 100)}%`,
  };
  const on = pre.mirrorAxes ?? [];
  const allowed = pre.mode === 'nnunet' ? pre.allowedMirrorAxes : [];
  facts.mirroring = on.length
    ? `on: ${on.map((a) => AXES[a]).join(', ')} (${2 ** on.length}× the time)`
    : allowed.length
      ? `off (the model allows ${allowed.map((a) => AXES[a]).join(', ')})`
      : 'off';
  // The importer names the folds in the provenance: "... (fold 0, fold 1, checkpoint_final.pth)".
  const folds = /\(((?:fold \d+|all)(?:, (?:fold \d+|all))*), checkpoint_\w+\.pth\)/.exec(m.provenance.source);
  if (folds) {
    const list = folds[1].split(', ');
    facts.folds = `${list.length} (${folds[1]})${list.length > 1 ? ', logits averaged' : ''}`;
  }
  return facts;
}

/**
 * The card's estimate line, e.g. "model grid 167 × 167 × 13, 25 tiles; about 2 min 10 s on WASM
 * (8 threads), 9.0 s on WebGPU (each with about 3.0 s of resampling before and after); memory
 * about 1.2 GB".
 */
export function estimateText(e: RunEstimate, threads: number, webgpu: boolean): string {
  const parts = [
    `model grid ${e.modelGrid.join(' × ')}, ${e.tiles} tile${e.tiles === 1 ? '' : 's'}${e.passes > 1 ? ` × ${e.passes} mirrored passes` : ''}`,
  ];
  if (e.seconds) {
    const wasm = `about ${formatSeconds(e.seconds.wasm)} on WASM (${threads} thread${threads === 1 ? '' : 's'})`;
    const prep =
      e.prepSeconds >= 1 ? ` (each with about ${formatSeconds(e.prepSeconds)} of resampling before and after)` : '';
    parts.push(`${webgpu ? `${wasm}, ${formatSeconds(e.seconds.webgpu)} on WebGPU` : wasm}${prep}`);
  }
  const heap =
    e.sessionBytes > 2 ** 32
      ? ' (the model and one patch need more than the 4 GiB WASM can address: use WebGPU or the command line)'
      : '';
  parts.push(`memory about ${formatBytes(e.peakBytes)}${heap}`);
  return parts.join('; ');
}

/** "950", "21.6 k", "31.2 M", "1.4 G" (model sizes and operation counts). */
export function quantity(n: number): string {
  if (!Number.isFinite(n)) return '—';
  for (const [unit, f] of [
    ['G', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const)
    if (n >= f) return `${(n / f).toFixed(n >= 100 * f ? 0 : 1)} ${unit}`;
  return String(Math.round(n));
}
