/**
 * Which execution provider a run uses, and why — pure, so the worker only gathers the facts.
 *
 * Decisions:
 * - The user's explicit choice is kept: WASM is WASM; WebGPU is WebGPU whenever an adapter exists
 *   and the graph has no operator the WebGPU EP lacks (a software adapter is named in the reason).
 * - Auto refuses software adapters. Browsers without a GPU offer one (Chromium: SwiftShader, vendor
 *   "google", architecture "swiftshader"; Mesa's llvmpipe / lavapipe; Windows' WARP, "Microsoft
 *   Basic Render Driver"), and it runs 3-D networks 10–60× slower than WASM on the same CPU.
 *   `isFallbackAdapter` (on `GPUAdapterInfo` in current browsers, on the adapter in older ones)
 *   says so directly; the names catch the rest.
 * - Auto takes a named, non-software adapter (vendor or architecture given) as a GPU.
 * - When the adapter says nothing about itself, Auto measures: one patch on each backend
 *   (`timeBackends`), and the faster one runs the job (`probeVerdict`). WebGPU's first run also
 *   compiles its shaders, so it runs a second time only when the first was slower than WASM.
 * - Every outcome carries a `reason` the panel shows after the device ("WASM, 2 threads — …").
 */
import type { ModelManifest } from './manifest';
import type { ModelShape } from './pipeline';
import type { DeviceRequest } from './protocol';
import { tensorSpatialDims, type Tensor } from './tensor';

/** What the browser tells about its WebGPU adapter (`GPUAdapterInfo` and `isFallbackAdapter`). */
export interface AdapterFacts {
  isFallbackAdapter?: boolean;
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

/** The decision: a device with its reason, or 'probe' (time both backends on one patch). */
export interface DeviceDecision {
  device: 'webgpu' | 'wasm' | 'probe';
  reason: string;
}

const SOFTWARE: [RegExp, string][] = [
  [/swiftshader/, 'SwiftShader'],
  [/llvmpipe/, 'llvmpipe'],
  [/lavapipe/, 'lavapipe'],
  [/softpipe/, 'softpipe'],
  [/microsoft basic render/, 'Microsoft Basic Render Driver'],
  [/\bwarp\b/, 'WARP'],
  [/\bsoftware\b/, 'a software renderer'],
];

const text = (f: AdapterFacts) =>
  [f.vendor, f.architecture, f.device, f.description]
    .filter((s): s is string => typeof s === 'string' && s.trim() !== '')
    .map((s) => s.trim());

/** The software renderer an adapter is ("SwiftShader", …), "fallback" when only `isFallbackAdapter` says so, else null. */
export function softwareAdapter(f: AdapterFacts): string | null {
  const all = text(f).join(' ').toLowerCase();
  for (const [re, name] of SOFTWARE) if (re.test(all)) return name;
  return f.isFallbackAdapter === true ? 'fallback' : null;
}

/** "nvidia, ampere" — the adapter's own words, or '' when it gives none. */
export function adapterLabel(f: AdapterFacts): string {
  return [...new Set(text(f))].join(', ');
}

/**
 * Read the facts of a `GPUAdapter` without trusting its shape: `info` (current browsers), the
 * older `requestAdapterInfo()`, and `isFallbackAdapter` on either.
 */
export async function readAdapterFacts(adapter: unknown): Promise<AdapterFacts> {
  const a = (adapter ?? {}) as {
    info?: Record<string, unknown>;
    isFallbackAdapter?: unknown;
    requestAdapterInfo?: () => Promise<Record<string, unknown>>;
  };
  let info = a.info;
  if (!info && typeof a.requestAdapterInfo === 'function') info = await a.requestAdapterInfo().catch(() => undefined);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const fallback = info?.isFallbackAdapter ?? a.isFallbackAdapter;
  return {
    isFallbackAdapter: typeof fallback === 'boolean' ? fallback : undefined,
    vendor: str(info?.vendor),
    architecture: str(info?.architecture),
    device: str(info?.device),
    description: str(info?.description),
  };
}

const softwareWords = (name: string) => (name === 'fallback' ? 'a fallback (software) adapter' : `software (${name})`);

/**
 * The device for `request`, given the adapter (null: the browser offers none) and the operators
 * WebGPU cannot run in this model (`webgpuBlockers`).
 */
export function decideDevice(
  request: DeviceRequest,
  adapter: AdapterFacts | null,
  blockers: readonly string[],
): DeviceDecision {
  const chosen = "the user's choice";
  if (request === 'wasm') return { device: 'wasm', reason: chosen };
  const asked = request === 'webgpu' ? 'WebGPU was chosen, but ' : '';
  if (!adapter) return { device: 'wasm', reason: `${asked}the browser offers no WebGPU adapter` };
  if (blockers.length) return { device: 'wasm', reason: `${asked}WebGPU cannot run ${blockers.join(', ')}` };
  const software = softwareAdapter(adapter);
  if (request === 'webgpu')
    return { device: 'webgpu', reason: software ? `${chosen}; the adapter is ${softwareWords(software)}` : chosen };
  if (software)
    return { device: 'wasm', reason: `the WebGPU adapter is ${softwareWords(software)}, slower than WASM here` };
  const label = adapterLabel(adapter);
  if (label) return { device: 'webgpu', reason: `the WebGPU adapter is a GPU (${label})` };
  return { device: 'probe', reason: 'the WebGPU adapter does not say what it is' };
}

/** Edge of the test block for whole-volume models whose spatial dims are free. */
const WHOLE_VOLUME_PROBE = 64;
/** Largest test input (voxels): a bigger one costs about as much as the job it is meant to spare. */
const MAX_PROBE_VOXELS = 128 ** 3;

/**
 * Input dims of the test run: one patch (sliding-window, nnU-Net), a 64³ block for whole-volume
 * models with free dims; null when the only possible input is too big to be a quick test.
 */
export function probeDims(manifest: ModelManifest, shape: ModelShape): number[] | null {
  const pre = manifest.preprocessing;
  const free =
    pre.mode === 'whole-volume'
      ? [WHOLE_VOLUME_PROBE, WHOLE_VOLUME_PROBE, WHOLE_VOLUME_PROBE]
      : tensorSpatialDims(pre.patch, manifest.model.layout);
  const spatial = free.map((d, n) => shape.spatial[n] ?? d);
  const batch = shape.batch ?? 1;
  if (batch * spatial.reduce((a, b) => a * b, 1) > MAX_PROBE_VOXELS) return null;
  return [batch, 1, ...spatial];
}

/** A test input of `dims`: deterministic values spread like a normalized image (mean 0, sd about 1). */
export function probeInput(dims: number[]): Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s / 2 ** 32) * 3.4 - 1.7;
  }
  return { data, dims: [...dims] };
}

/** Seconds of the test runs: WASM, WebGPU's first run (shaders compiled), its second when run. */
export interface ProbeTimes {
  wasm: number;
  webgpuFirst: number;
  webgpuSecond?: number;
}

/** Time one run on each backend (`now` in ms); WebGPU runs again only when its first run lost. */
export async function timeBackends(
  run: { webgpu: () => Promise<unknown>; wasm: () => Promise<unknown> },
  now: () => number = () => performance.now(),
): Promise<ProbeTimes> {
  const timed = async (f: () => Promise<unknown>) => {
    const t0 = now();
    await f();
    return (now() - t0) / 1000;
  };
  const wasm = await timed(run.wasm);
  const webgpuFirst = await timed(run.webgpu);
  if (webgpuFirst <= wasm) return { wasm, webgpuFirst };
  return { wasm, webgpuFirst, webgpuSecond: await timed(run.webgpu) };
}

const secs = (s: number) => `${s < 1 ? s.toFixed(2) : s.toFixed(1)} s`;

/** The faster backend on the test patch (ties go to WebGPU), the measured times in the reason. */
export function probeVerdict(t: ProbeTimes, why: string): { device: 'webgpu' | 'wasm'; reason: string } {
  const gpu = Math.min(t.webgpuFirst, t.webgpuSecond ?? Infinity);
  const device = gpu <= t.wasm ? 'webgpu' : 'wasm';
  return {
    device,
    reason: `${why}; a test patch took ${secs(gpu)} on WebGPU and ${secs(t.wasm)} on WASM, so ${device === 'webgpu' ? 'WebGPU' : 'WASM'} was kept`,
  };
}

/** When no quick test is possible (the model's only input is a whole volume): WebGPU, unmeasured. */
export function unmeasuredVerdict(why: string): { device: 'webgpu'; reason: string } {
  return {
    device: 'webgpu',
    reason: `${why}; a test run of this model would take as long as the job, so WebGPU was kept`,
  };
}

/** WebGPU failed on the test patch (or could not load the model): WASM, and why. */
export function probeFailedVerdict(why: string, error: string): { device: 'wasm'; reason: string } {
  return { device: 'wasm', reason: `${why}; WebGPU failed on a test patch (${error.slice(0, 160)})` };
}
