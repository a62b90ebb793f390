/** Messages between `client.ts` and `demo.worker.ts` (matched by request id). */
import type { Vec3 } from '../../core/types';

export interface DemoOptions {
  seed: number;
  dims: Vec3;
  spacing: Vec3;
}

/**
 * A modest phantom (6.5M voxels) that generates and renders quickly on a laptop; same physical
 * extent as the phantom's default 384x384x120 at 0.9x0.9x2.5 mm.
 */
export const DEMO_OPTIONS: DemoOptions = { seed: 1, dims: [256, 256, 100], spacing: [1.35, 1.35, 3] };

export type DemoRequest = { type: 'generate'; id: number; options: DemoOptions };

export type DemoResponse =
  | { type: 'progress'; id: number; stage: string; done: number; total: number }
  | { type: 'done'; id: number; files: { name: string; bytes: Uint8Array }[] }
  | { type: 'error'; id: number; message: string };
