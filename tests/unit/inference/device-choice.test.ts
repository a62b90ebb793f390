/**
 * The device choice (src/inference/device-choice.ts): software adapters are recognised from what
 * real browsers report (Chromium's SwiftShader as headless Chromium 156 gives it, Mesa's llvmpipe
 * and lavapipe, Windows' WARP) while GPUs are not; Auto goes to WASM on them with a reason, the
 * user's explicit choice is kept, an unnamed adapter is measured. The test input's dims are run
 * through the bundled models in onnxruntime-node (the model must accept them), and the timing
 * order is checked with a fake clock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  decideDevice,
  probeDims,
  probeFailedVerdict,
  probeInput,
  probeVerdict,
  readAdapterFacts,
  softwareAdapter,
  timeBackends,
  unmeasuredVerdict,
  type AdapterFacts,
} from '../../../src/inference/device-choice';
import { parseManifest } from '../../../src/inference/manifest';
import { checkModel } from '../../../src/inference/model-check';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { repoRoot } from '../helpers/shared';

/** `navigator.gpu.requestAdapter()` in headless Chromium 156 with --enable-unsafe-webgpu (no GPU). */
const SWIFTSHADER: AdapterFacts = {
  isFallbackAdapter: true,
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: '',
};
const NVIDIA: AdapterFacts = { isFallbackAdapter: false, vendor: 'nvidia', architecture: 'ampere' };

describe('software adapters', () => {
  it('names the software renderers browsers report and leaves GPUs alone', () => {
    expect(softwareAdapter(SWIFTSHADER)).toBe('SwiftShader');
    expect(softwareAdapter({ ...SWIFTSHADER, isFallbackAdapter: undefined })).toBe('SwiftShader');
    expect(softwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe');
    expect(softwareAdapter({ vendor: 'mesa', device: 'lavapipe' })).toBe('lavapipe');
    expect(softwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe(
      'Microsoft Basic Render Driver',
    );
    expect(softwareAdapter({ vendor: 'microsoft', architecture: 'WARP' })).toBe('WARP');
    expect(softwareAdapter({ isFallbackAdapter: true, vendor: '', architecture: '' })).toBe('fallback');
    expect(softwareAdapter(NVIDIA)).toBeNull();
    expect(softwareAdapter({ vendor: 'intel', architecture: 'gen-12lp', description: 'Warped display' })).toBeNull();
    expect(softwareAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBeNull();
    expect(softwareAdapter({})).toBeNull();
  });

  it('reads GPUAdapterInfo, the older isFallbackAdapter on the adapter, and requestAdapterInfo()', async () => {
    expect(await readAdapterFacts({ info: { ...SWIFTSHADER, subgroupMinSize: 4 } })).toEqual(SWIFTSHADER);
    expect(await readAdapterFacts({ isFallbackAdapter: true, info: { vendor: 'google' } })).toMatchObject({
      isFallbackAdapter: true,
      vendor: 'google',
    });
    const old = { requestAdapterInfo: async () => ({ vendor: 'mesa', description: 'llvmpipe' }) };
    expect(softwareAdapter(await readAdapterFacts(old))).toBe('llvmpipe');
    expect(await readAdapterFacts({ info: { vendor: 7, isFallbackAdapter: 'yes' } })).toEqual({
      isFallbackAdapter: undefined,
      vendor: undefined,
      architecture: undefined,
      device: undefined,
      description: undefined,
    });
  });
});

describe('decideDevice', () => {
  it('Auto: WASM on a software adapter or none, WebGPU on a GPU, a measurement when the adapter is unnamed', () => {
    expect(decideDevice('auto', SWIFTSHADER, [])).toEqual({
      device: 'wasm',
      reason: 'the WebGPU adapter is software (SwiftShader), slower than WASM here',
    });
    expect(decideDevice('auto', { isFallbackAdapter: true }, [])).toEqual({
      device: 'wasm',
      reason: 'the WebGPU adapter is a fallback (software) adapter, slower than WASM here',
    });
    expect(decideDevice('auto', null, [])).toEqual({ device: 'wasm', reason: 'the browser offers no WebGPU adapter' });
    expect(decideDevice('auto', NVIDIA, [])).toEqual({
      device: 'webgpu',
      reason: 'the WebGPU adapter is a GPU (nvidia, ampere)',
    });
    expect(decideDevice('auto', NVIDIA, ['3-D AveragePool'])).toEqual({
      device: 'wasm',
      reason: 'WebGPU cannot run 3-D AveragePool',
    });
    const blank = { isFallbackAdapter: false, vendor: '', architecture: ' ', device: '', description: '' };
    expect(decideDevice('auto', blank, [])).toEqual({
      device: 'probe',
      reason: 'the WebGPU adapter does not say what it is',
    });
  });

  it("keeps the user's choice: WASM always, WebGPU even on a software adapter (and says so)", () => {
    for (const a of [SWIFTSHADER, NVIDIA, null])
      expect(decideDevice('wasm', a, [])).toEqual({ device: 'wasm', reason: "the user's choice" });
    expect(decideDevice('webgpu', NVIDIA, [])).toEqual({ device: 'webgpu', reason: "the user's choice" });
    const soft = decideDevice('webgpu', SWIFTSHADER, []);
    expect(soft).toEqual({ device: 'webgpu', reason: "the user's choice; the adapter is software (SwiftShader)" });
    // (no "WASM" in a WebGPU run's line: the e2e tests take that word for a fallback)
    expect(soft.reason).not.toMatch(/wasm/i);
    expect(decideDevice('webgpu', {}, [])).toEqual({ device: 'webgpu', reason: "the user's choice" });
    // What cannot be kept is explained.
    expect(decideDevice('webgpu', null, [])).toEqual({
      device: 'wasm',
      reason: 'WebGPU was chosen, but the browser offers no WebGPU adapter',
    });
    expect(decideDevice('webgpu', NVIDIA, ['3-D LpPool']).reason).toBe(
      'WebGPU was chosen, but WebGPU cannot run 3-D LpPool',
    );
  });
});

const bundled = (id: string) => {
  const dir = join(repoRoot, 'static/models', id);
  const manifest = parseManifest(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const bytes = readFileSync(join(dir, manifest.model.file));
  return { manifest, bytes, shape: checkModel(inspectOnnx(bytes, 'model.onnx'), manifest, 'model.onnx') };
};

describe('the test patch', () => {
  it('is one patch in tensor order, or a 64³ block of a whole-volume model, and the models run on it', async () => {
    const cases = [
      { id: 'ct-tissue-bands', dims: [1, 1, 64, 64, 64] },
      { id: 'abdomen-phantom', dims: [1, 1, 16, 96, 96] }, // patch [96, 96, 16] (i, j, k), NCDHW
      { id: 'brainchop-tissue-light', dims: [1, 1, 64, 64, 64] },
    ];
    for (const c of cases) {
      const { manifest, bytes, shape } = bundled(c.id);
      const dims = probeDims(manifest, shape);
      expect(dims, c.id).toEqual(c.dims);
      const input = probeInput(dims!);
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ [manifest.model.input]: new ort.Tensor('float32', input.data, input.dims) });
      const t = out[manifest.model.output];
      expect(t.dims.slice(0, 2), c.id).toEqual([1, manifest.model.channels]);
      expect(t.dims.slice(2), c.id).toEqual(dims!.slice(2));
      await session.release();
    }
  });

  it('is refused when the model only takes a whole 256³ volume, and taken with a fixed batch', () => {
    const { manifest } = bundled('brainchop-tissue-light');
    expect(probeDims(manifest, { batch: 1, spatial: [256, 256, 256] })).toBeNull();
    const tissue = bundled('ct-tissue-bands');
    expect(probeDims(tissue.manifest, { batch: 2, spatial: [null, null, null] })).toEqual([2, 1, 64, 64, 64]);
  });

  it('has deterministic values spread like a normalized image', () => {
    const a = probeInput([1, 1, 32, 32, 32]);
    expect(a.data).toEqual(probeInput([1, 1, 32, 32, 32]).data);
    let sum = 0;
    let sq = 0;
    for (const v of a.data) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / a.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.sqrt(sq / a.data.length - mean * mean)).toBeGreaterThan(0.8);
    expect(Math.sqrt(sq / a.data.length - mean * mean)).toBeLessThan(1.2);
  });
});

describe('measuring', () => {
  /** A fake clock: each run advances it by its scripted milliseconds. */
  function script(ms: Record<'webgpu' | 'wasm', number[]>) {
    let t = 0;
    const order: string[] = [];
    const run = (k: 'webgpu' | 'wasm') => async () => {
      order.push(k);
      t += ms[k].shift()!;
    };
    return { order, run: { webgpu: run('webgpu'), wasm: run('wasm') }, now: () => t };
  }

  it('runs WebGPU a second time only when its first run (shader compilation) lost', async () => {
    const fast = script({ wasm: [900], webgpu: [300] });
    expect(await timeBackends(fast.run, fast.now)).toEqual({ wasm: 0.9, webgpuFirst: 0.3 });
    expect(fast.order).toEqual(['wasm', 'webgpu']);
    const warm = script({ wasm: [900], webgpu: [2500, 100] });
    expect(await timeBackends(warm.run, warm.now)).toEqual({ wasm: 0.9, webgpuFirst: 2.5, webgpuSecond: 0.1 });
    expect(warm.order).toEqual(['wasm', 'webgpu', 'webgpu']);
  });

  it('keeps the faster backend and gives the times', () => {
    const why = 'the WebGPU adapter does not say what it is';
    expect(probeVerdict({ wasm: 0.9, webgpuFirst: 2.5, webgpuSecond: 0.1 }, why)).toEqual({
      device: 'webgpu',
      reason: `${why}; a test patch took 0.10 s on WebGPU and 0.90 s on WASM, so WebGPU was kept`,
    });
    expect(probeVerdict({ wasm: 0.9, webgpuFirst: 14, webgpuSecond: 12.34 }, why)).toEqual({
      device: 'wasm',
      reason: `${why}; a test patch took 12.3 s on WebGPU and 0.90 s on WASM, so WASM was kept`,
    });
    expect(probeVerdict({ wasm: 0.5, webgpuFirst: 0.5 }, why).device).toBe('webgpu');
    expect(unmeasuredVerdict(why)).toEqual({
      device: 'webgpu',
      reason: `${why}; a test run of this model would take as long as the job, so WebGPU was kept`,
    });
    expect(probeFailedVerdict(why, 'no kernel for Foo')).toEqual({
      device: 'wasm',
      reason: `${why}; WebGPU failed on a test patch (no kernel for Foo)`,
    });
  });
});
