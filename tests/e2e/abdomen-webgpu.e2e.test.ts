/**
 * The bundled abdomen-phantom model (a 3-D U-Net with three 2x2x2 MaxPools) runs on Chromium's
 * WebGPU (software adapter with --enable-unsafe-webgpu: a correctness check, not a speed figure)
 * without falling back to WASM — the worker rewrites its MaxPools as strided slices — and agrees
 * with WASM on the demo study.
 *
 * SwiftShader's WebGPU runs this network at seconds per patch, and the whole demo (173 x 173 x 100
 * on the model's grid: 72 patches) would take the better part of an hour; so the input is a block
 * of the demo study (seed 1, the demo's grid and noise) in the middle of the abdomen that makes
 * exactly one 96 x 96 x 16 patch on the model's 2 x 2 x 3 mm grid.
 *
 * A second check loads the rewritten model into onnxruntime-web's WebGPU backend in a bare page,
 * with ORT's verbose log: every node (the slices and maxima included) is placed on the WebGPU EP,
 * none on its CPU fallback, and the logits agree with onnxruntime-node's on the original model.
 */
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { afterAll, expect, inject, it } from 'vitest';
import type { Vec3 } from '../../src/core/types';
import { writeNifti } from '../../src/io/nifti/index';
import { rewriteForWebgpu } from '../../src/inference/onnx/webgpu-rewrite';
import { DEMO_CASE, generatePhantom, PHANTOM_LABELS } from '../../src/phantom/index';
import {
  describeBrowser,
  launchBrowser,
  openApp,
  repoRoot,
  saveLog,
  screenshotPage,
  waitShown,
} from './helpers/browser';
import { blockOf, modelFiles, pageLabels, runModel } from './helpers/models';

const tmp = mkdtempSync(join(tmpdir(), 'voxseg-e2e-abdomen-gpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const modelDir = join(repoRoot, 'static/models/abdomen-phantom');

describeBrowser('bundled abdomen-phantom on WebGPU', [], () => {
  it('runs on WebGPU with its MaxPools rewritten (no WASM fallback) and agrees with WASM on the demo study', async () => {
    const t0 = performance.now();
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
    const files = modelFiles(manifest, readFileSync(join(modelDir, 'model.onnx')));
    // The demo study (seed 1, as the app generates it); a 142 x 142 x 16 block at 1.35 x 1.35 x 3 mm
    // is 192 x 192 x 48 mm: one patch on the model's grid.
    const { ct } = generatePhantom({
      seed: 1,
      dims: [...DEMO_CASE.dims],
      spacing: [...DEMO_CASE.spacing],
      noise: DEMO_CASE.noise,
    });
    const size: Vec3 = [142, 142, 16];
    const block = blockOf(ct, [57, 70, 42], size);
    const input = join(tmp, 'demo-block.nii.gz');
    writeFileSync(input, writeNifti(block, { gzip: true }));

    const browser = await launchBrowser(['--enable-unsafe-webgpu', '--enable-features=Vulkan']);
    const { page, log } = await openApp(browser.context, inject('baseUrl'));
    try {
      const hasAdapter = await page.evaluate(
        async () =>
          !!(await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()),
      );
      expect(hasAdapter, 'Chromium exposes a WebGPU adapter with --enable-unsafe-webgpu').toBe(true);
      await page.setInputFiles('[data-testid="file-input"]', input);
      await waitShown(page);

      const tGpu = performance.now();
      const gpu = await runModel(page, files, 'webgpu', 400_000);
      const gpuSeconds = (performance.now() - tGpu) / 1000;
      // Really on WebGPU: no "using WASM" / "ran on WASM instead", and the rewrite said so.
      expect(gpu, 'device used').toMatch(/^\s*Ran on\s+WebGPU/);
      expect(gpu).toContain('3-D MaxPool rewritten as strided slices for WebGPU (3 nodes');
      expect(gpu).not.toMatch(/WASM|could not|failed/i);
      const onGpu = await pageLabels(page);
      await screenshotPage(page, 'abdomen-webgpu');

      const tCpu = performance.now();
      const cpu = await runModel(page, files, 'wasm', 400_000);
      const cpuSeconds = (performance.now() - tCpu) / 1000;
      expect(cpu).toMatch(/^\s*Ran on\s+WASM/);
      expect(cpu).not.toContain('rewritten');
      const onCpu = await pageLabels(page);

      expect(onGpu.length).toBe(size[0] * size[1] * size[2]);
      expect(onCpu.length).toBe(onGpu.length);
      let same = 0;
      const organs = new Map<number, number>();
      for (let n = 0; n < onCpu.length; n++) {
        if (onGpu[n] === onCpu[n]) same++;
        if (onCpu[n]) organs.set(onCpu[n], (organs.get(onCpu[n]) ?? 0) + 1);
      }
      const found = PHANTOM_LABELS.filter((l) => (organs.get(l.value) ?? 0) > 200).map((l) => l.name);
      console.log(
        `abdomen-phantom on a ${size.join('x')} block of the demo: WebGPU run ${gpuSeconds.toFixed(1)} s, WASM run ${cpuSeconds.toFixed(1)} s, ` +
          `whole test ${((performance.now() - t0) / 1000).toFixed(1)} s; agreement ${((100 * same) / onCpu.length).toFixed(4)}%; organs: ${found.join(', ')}`,
      );
      expect(found.length, `organs in the block (${found.join(', ')})`).toBeGreaterThanOrEqual(4);
      expect(same / onCpu.length, 'WebGPU vs WASM agreement').toBeGreaterThanOrEqual(0.999);
    } finally {
      saveLog('abdomen-webgpu', log);
      await browser.close();
    }
  }, 900_000);

  it('every node of the rewritten model is placed on the WebGPU EP (ORT verbose log) and the logits match onnxruntime-node', async () => {
    const original = new Uint8Array(readFileSync(join(modelDir, 'model.onnx')));
    const rewritten = rewriteForWebgpu(original).bytes;
    const dims = [1, 1, 8, 16, 16];
    const n = dims.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.9));
    const session = await ortNode.InferenceSession.create(original);
    const want = (await session.run({ input: new ortNode.Tensor('float32', x, dims) })).output.data as Float32Array;
    await session.release();

    // A bare page with onnxruntime-web's default bundle (its WebGPU backend), the model and nothing else.
    const dist = join(repoRoot, 'node_modules/onnxruntime-web/dist');
    const page = `<script type="module">
      import * as ort from './ort.bundle.min.mjs';
      ort.env.logLevel = 'verbose';
      ort.env.wasm.numThreads = 1;
      window.run = async (dims, x) => {
        const bytes = new Uint8Array(await (await fetch('model.onnx')).arrayBuffer());
        const s = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 });
        const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from(x), dims) });
        return Array.from(out.output.data);
      };
    </script>`;
    const types: Record<string, string> = {
      html: 'text/html',
      mjs: 'text/javascript',
      wasm: 'application/wasm',
      onnx: 'application/octet-stream',
    };
    const server = createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0].slice(1) || 'index.html';
      try {
        const body =
          name === 'index.html'
            ? page
            : name === 'model.onnx'
              ? rewritten
              : /^[\w.-]+$/.test(name)
                ? readFileSync(join(dist, name))
                : null;
        if (body === null) throw new Error('not found');
        res.writeHead(200, { 'content-type': types[name.split('.').pop()!] ?? 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const browser = await launchBrowser(['--enable-unsafe-webgpu', '--enable-features=Vulkan']);
    const lines: string[] = [];
    try {
      const p = await browser.context.newPage();
      p.on('console', (m) => lines.push(m.text()));
      await p.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html`);
      await p.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === 'function');
      const got = await p.evaluate(
        ([d, v]) => (window as unknown as { run(d: number[], v: number[]): Promise<number[]> }).run(d, v),
        [dims, Array.from(x)] as const,
      );
      const placement = lines.filter((l) => /placed on|Node placements|not assigned/i.test(l));
      console.log(placement.map((l) => l.replace(/^.*VerifyEachNodeIsAssignedToAnEp\]\s*/, '')).join('\n'));
      expect(placement.join('\n'), 'ORT node placement').toMatch(
        /All nodes placed on \[JsExecutionProvider\]\. Number of nodes: \d+/,
      );
      expect(got.length).toBe(want.length);
      let maxDiff = 0;
      let scale = 0;
      for (let i = 0; i < want.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
        scale = Math.max(scale, Math.abs(want[i]));
      }
      console.log(
        `rewritten model on WebGPU vs the original on onnxruntime-node: max |diff| ${maxDiff.toExponential(2)} (logits up to ${scale.toFixed(1)})`,
      );
      // Different float kernels (GPU convolutions, instance norm): close, not bit-identical.
      expect(maxDiff / scale, `max |WebGPU - CPU| ${maxDiff} of logits up to ${scale}`).toBeLessThan(1e-3);
    } finally {
      saveLog('abdomen-webgpu-ort', lines);
      await browser.close();
      server.close();
    }
  }, 300_000);
});
