/**
 * `train.downsample` (training/voxseg_train/model.py) on tiny networks, in a few seconds without
 * the smoke training run: "conv" exports an ONNX graph with stride-2 convolutions and no MaxPool at
 * all (nothing WebGPU lacks, no rewrite needed); "maxpool" (the default, the shipped model's)
 * exports 2x2x2 MaxPools that the WebGPU rewrite replaces exactly. Both exports compute what
 * PyTorch computes (onnxruntime-node on the same input).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuBlockers } from '../../../src/inference/model-check';
import { inspectOnnx } from '../../../src/inference/onnx/reader';
import { rewriteForWebgpu } from '../../../src/inference/onnx/webgpu-rewrite';
import { repoRoot } from '../helpers/shared';

const python = '/usr/bin/python3';
const hasTorch =
  existsSync(python) && spawnSync(python, ['-c', 'import torch, onnx'], { stdio: 'ignore' }).status === 0;
const title = hasTorch
  ? 'train.downsample on tiny networks'
  : 'train.downsample [skipped: /usr/bin/python3 with torch and onnx (Debian python3-torch, python3-onnx) not found]';

const shape = [1, 1, 8, 16, 24];

async function run(bytes: Uint8Array, input: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    return (await session.run({ input: new ort.Tensor('float32', input, shape) })).output.data as Float32Array;
  } finally {
    await session.release();
  }
}

(hasTorch ? describe : describe.skip)(title, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'voxseg-downsample-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let py: { status: number | null; stdout: string; stderr: string } | undefined;
  const exported = () => {
    // One Python process for both variants (importing torch is most of the time).
    py ??= spawnSync(
      python,
      [
        '-c',
        [
          'import sys, numpy as np, torch',
          'sys.path.insert(0, "training")',
          'from voxseg_train.model import UNet3D',
          'from voxseg_train.export import export_onnx',
          'torch.manual_seed(3)',
          `x = torch.randn(${shape.join(', ')})`,
          'x.numpy().astype("<f4").tofile(sys.argv[1] + "/input.bin")',
          'for down in ("conv", "maxpool"):',
          '    m = UNet3D((4, 8, 16), 3, "instance", down).eval()',
          '    with torch.no_grad():',
          '        m(x).numpy().astype("<f4").tofile(f"{sys.argv[1]}/{down}.bin")',
          `    export_onnx(m, f"{sys.argv[1]}/{down}.onnx", [8, 16, 16])`,
          'print(UNet3D((4, 8), 3).pool)',
        ].join('\n'),
        tmp,
      ],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const floats = (name: string) => {
      const b = readFileSync(join(tmp, name));
      return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
    };
    return {
      input: floats('input.bin'),
      torch: (d: string) => floats(`${d}.bin`),
      onnx: (d: string) => new Uint8Array(readFileSync(join(tmp, `${d}.onnx`))),
    };
  };

  const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

  it('"conv": stride-2 convolutions, no MaxPool, nothing WebGPU lacks; same output as PyTorch', async () => {
    const e = exported();
    const bytes = e.onnx('conv');
    const info = inspectOnnx(bytes);
    expect(info.ops).not.toContain('MaxPool');
    expect(info.pools).toEqual([]);
    expect(info.convs.filter((c) => c.strides?.join() === '2,2,2')).toHaveLength(2); // levels 2 and 3
    expect(webgpuBlockers(info)).toEqual([]);
    expect(rewriteForWebgpu(bytes).bytes).toBe(bytes); // nothing to rewrite
    const out = await run(bytes, e.input);
    expect(out.length).toBe(3 * shape.slice(2).reduce((a, b) => a * b, 1));
    expect(maxDiff(out, e.torch('conv'))).toBeLessThan(1e-4);
  }, 60_000);

  it('"maxpool" (the default): 2x2x2 MaxPools, rewritten exactly for WebGPU; same output as PyTorch', async () => {
    const e = exported();
    expect(py!.stdout.trim().split('\n').pop(), 'UNet3D without a downsample argument max-pools').toBe('True');
    const bytes = e.onnx('maxpool');
    const info = inspectOnnx(bytes);
    expect(info.opCounts.MaxPool).toBe(2);
    expect(info.convs.some((c) => c.strides?.some((s) => s !== 1))).toBe(false);
    expect(webgpuBlockers(info)).toEqual([]);
    const rw = rewriteForWebgpu(bytes);
    expect(rw.rewritten).toHaveLength(2);
    const out = await run(bytes, e.input);
    expect(maxDiff(out, e.torch('maxpool'))).toBeLessThan(1e-4);
    const outRewritten = await run(rw.bytes, e.input);
    expect(maxDiff(outRewritten, out)).toBe(0);
  }, 60_000);
});
