/**
 * Pure helpers of the Auto-segment panel: label statistics and the texts it shows. Whether a
 * model suits the study is not decided here but in inference/fit.ts.
 */
import type { Vec3 } from '../../core/types';

/** Millilitres of `voxels` voxels of size `spacing` (mm). */
export function voxelsToMl(voxels: number, spacing: Readonly<Vec3>): number {
  return (voxels * spacing[0] * spacing[1] * spacing[2]) / 1000;
}

/** "0.4 s", "12 s", "3 min 05 s". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '—';
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, '0')} s`;
}

/** "1 234 567" (thin spaces between thousands, locale-independent for tests). */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
}

/** "12.3 mL" / "1.2 L". */
export function formatMl(ml: number): string {
  if (ml >= 1000) return `${(ml / 1000).toFixed(2)} L`;
  return `${ml >= 100 ? ml.toFixed(0) : ml.toFixed(1)} mL`;
}

export interface StageProgress {
  stage: string;
  done: number;
  total: number;
  /** Seconds left as the engine estimates them, if it does. */
  etaSeconds?: number;
}

/**
 * Seconds left: the engine's estimate when it gives one, else a linear guess from the time spent
 * in this stage (`stageSeconds`) once some of it is done; undefined when unknown.
 */
export function estimateEta(p: StageProgress, stageSeconds: number): number | undefined {
  if (p.etaSeconds !== undefined && Number.isFinite(p.etaSeconds)) return Math.max(0, p.etaSeconds);
  if (p.total > 0 && p.done > 0 && p.done < p.total && stageSeconds > 1)
    return (stageSeconds / p.done) * (p.total - p.done);
  return undefined;
}

/** "WebGPU (NVIDIA …)", "WASM, 8 threads", "native". */
export function deviceText(info: { device: string; threads: number; adapter?: string }): string {
  if (info.device === 'webgpu') return info.adapter ? `WebGPU (${info.adapter})` : 'WebGPU';
  if (info.device === 'wasm') return `WASM, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  return info.device;
}
