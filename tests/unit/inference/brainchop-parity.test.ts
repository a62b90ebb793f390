/**
 * The bundled brain models, run by `voxseg segment` (native = onnxruntime-node, wasm = the app's
 * inference worker in a Node thread), against brainchop's own procedure on a real conformed T1
 * (t1_crop.nii.gz), computed independently:
 * - tfjs: the ORIGINAL tfjs model (model.json + shards, tfjs-layers on the tfjs CPU backend) with
 *   brainchop's steps in tf ops (tests/unit/helpers/brainchop-tfjs.ts) — for the light model,
 *   the only one the tfjs CPU backend runs at all (minutes), so in full runs only;
 * - python: numpy/scipy steps with the Keras weights run by PyTorch, read straight from the tfjs
 *   files (training/brainchop_reference.py) — for every model.
 * Labels must agree on >= 99.99% of the 256^3 voxels (and >= 99.9% of the voxels either side
 * labels). The heaviest runs (30- and 21-filter networks under WASM) take minutes on two cores,
 * so CI runs a representative set and VOXSEG_FULL_PARITY=1 runs every model on both devices.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { segmentCommand } from '../../../src/cli/commands/segment';
import { readNifti } from '../../../src/io/nifti/index';
import { parseManifestText } from '../../../src/inference/manifest';
import { BRAIN_MODELS } from '../../../scripts/models/brainchop-zoo';
import { brainchopReference, hasReferencePython, referencePythonMissing } from '../helpers/brainchop-reference';
import { brainchopTfjs } from '../helpers/brainchop-tfjs';
import { describeShared, repoRoot, sharedPath } from '../helpers/shared';

const T1 = 'nifti/mr/t1_crop.nii.gz';
/** VOXSEG_FULL_PARITY=1: every model on both devices (and the tfjs original); =native: every model, native only. */
const FULL = process.env.VOXSEG_FULL_PARITY === '1';
const FULL_NATIVE = process.env.VOXSEG_FULL_PARITY === 'native';

/**
 * What CI runs (model id -> devices); the rest only with VOXSEG_FULL_PARITY=1. The brain
 * extraction (about 2 CPU-minutes per run) is compared with the same reference, and checked to keep
 * the brain and remove the skull, in tests/e2e/brain-models.e2e.test.ts (the app's worker in
 * Chromium, the real thing), so CI does not run it here as well.
 */
const CI: Record<string, ('native' | 'wasm')[]> = {
  'brainchop-tissue-light': ['native', 'wasm'],
  'brainchop-parcellation-50': ['native'],
};

interface Run {
  labels: Uint8Array;
  masked?: Uint8Array;
  seconds: number;
}

describeShared(T1, 'bundled brain models match brainchop on a real T1', () => {
  let dir = '';
  const lines: string[] = [];
  const runs = new Map<string, Run>();
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'voxseg-brain-parity-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (lines.length) console.info(lines.join('\n'));
  });

  async function voxseg(id: string, device: 'native' | 'wasm'): Promise<Run> {
    const key = `${id}/${device}`;
    const known = runs.get(key);
    if (known) return known;
    const out = join(dir, `${id}-${device}.nii.gz`);
    const masked = join(dir, `${id}-${device}-masked.nii.gz`);
    const io = { out: () => {}, err: () => {} };
    const t0 = performance.now();
    const code = await segmentCommand.run(
      [sharedPath(T1), '-m', join(repoRoot, 'static/models', id), '-o', out, '-d', device, '--masked', masked],
      io,
    );
    expect(code).toBe(0);
    const seconds = (performance.now() - t0) / 1000;
    const labels = readNifti(new Uint8Array(readFileSync(out)), out).voxels as Uint8Array;
    let m: Uint8Array | undefined;
    try {
      m = readNifti(new Uint8Array(readFileSync(masked)), masked).voxels as Uint8Array;
    } catch {
      m = undefined;
    }
    const run = { labels, masked: m, seconds };
    runs.set(key, run);
    return run;
  }

  function agreement(a: Uint8Array, b: Uint8Array) {
    let same = 0;
    let union = 0;
    let unionSame = 0;
    for (let v = 0; v < a.length; v++) {
      const eq = a[v] === b[v];
      if (eq) same++;
      if (a[v] || b[v]) {
        union++;
        if (eq) unionSame++;
      }
    }
    return { all: same / a.length, labelled: union ? unionSame / union : 1, differ: a.length - same };
  }

  function expectAgree(what: string, ours: Uint8Array, ref: Uint8Array) {
    expect(ours.length).toBe(ref.length);
    const a = agreement(ours, ref);
    lines.push(
      `${what}: ${(100 * a.all).toFixed(4)}% of voxels (${a.differ} differ), ${(100 * a.labelled).toFixed(3)}% of labelled voxels`,
    );
    expect(a.all, what).toBeGreaterThanOrEqual(0.9999);
    expect(a.labelled, what).toBeGreaterThanOrEqual(0.999);
  }

  // The tfjs CPU backend needs ~3-10 minutes for the light model on t1_crop's head: full runs only.
  it.runIf(FULL)(
    'light tissue model: the tfjs original and voxseg (native and the app worker) agree',
    { timeout: 1_800_000 },
    async () => {
      const ref = await brainchopTfjs({ id: 1, input: sharedPath(T1) });
      lines.push(`tfjs reference, entry 1: ${ref.seconds.toFixed(1)} s`);
      for (const device of CI['brainchop-tissue-light']) {
        const r = await voxseg('brainchop-tissue-light', device);
        lines.push(`brainchop-tissue-light ${device}: ${r.seconds.toFixed(1)} s`);
        expectAgree(`brainchop-tissue-light ${device} vs tfjs`, r.labels, ref.labels);
      }
    },
  );

  for (const e of BRAIN_MODELS) {
    const devices = FULL ? (['native', 'wasm'] as const) : FULL_NATIVE ? (['native'] as const) : (CI[e.id] ?? []);
    const title = `${e.id} (entry ${e.settingsId}) on ${devices.join(' and ') || 'no device'}: agrees with the Python reference`;
    if (!devices.length) {
      it.skip(`${title} [VOXSEG_FULL_PARITY=1 runs it]`, () => {});
      continue;
    }
    it.skipIf(!hasReferencePython)(
      hasReferencePython ? title : `${title} ${referencePythonMissing}`,
      { timeout: 1_800_000 },
      async () => {
        const ref = await brainchopReference({ id: e.settingsId, input: sharedPath(T1) });
        lines.push(
          `python reference, entry ${e.settingsId}: ${ref.seconds.toFixed(1)} s${ref.cached ? ' (cached)' : ''}`,
        );
        for (const device of devices) {
          const r = await voxseg(e.id, device);
          lines.push(`${e.id} ${device}: ${r.seconds.toFixed(1)} s`);
          expectAgree(`${e.id} ${device} vs python`, r.labels, ref.labels);
          if (ref.masked) {
            expect(r.masked, 'the brain extraction model writes the masked image').toBeDefined();
            expectAgree(`${e.id} ${device} masked image vs python`, r.masked!, ref.masked);
          }
        }
      },
    );
  }

  it.runIf(FULL || FULL_NATIVE)(
    'brain extraction keeps the brain and removes the skull',
    { timeout: 900_000 },
    async () => {
      const t1 = readNifti(new Uint8Array(readFileSync(sharedPath(T1))), T1);
      const mask = (await voxseg('brainchop-brain-extraction', 'native')).labels;
      const tissue = (await voxseg('brainchop-tissue-light', 'native')).labels;
      const manifest = parseManifestText(
        readFileSync(join(repoRoot, 'static/models/brainchop-brain-extraction/manifest.json'), 'utf8'),
      );
      expect(manifest.labels.map((l) => l.name)).toEqual(['Brain Mask']);
      let brain = 0;
      let tissueVoxels = 0;
      let tissueOutside = 0;
      let bright = 0;
      let brightOutside = 0;
      for (let v = 0; v < mask.length; v++) {
        if (mask[v]) brain++;
        if (tissue[v]) {
          tissueVoxels++;
          if (!mask[v]) tissueOutside++;
        }
        if ((t1.voxels[v] as number) > 0) {
          bright++;
          if (!mask[v]) brightOutside++;
        }
      }
      const mL = (brain * t1.header.spacing[0] * t1.header.spacing[1] * t1.header.spacing[2]) / 1000;
      lines.push(
        `brain extraction on t1_crop: ${mL.toFixed(0)} mL brain; grey/white matter voxels outside the mask: ${tissueOutside} of ${tissueVoxels}; ` +
          `non-zero head voxels removed: ${brightOutside} of ${bright} (${((100 * brightOutside) / bright).toFixed(1)}%)`,
      );
      // Adult intracranial brain volumes run about 1000-1700 mL (brain parenchyma, CSF spaces partly included).
      expect(mL).toBeGreaterThan(1000);
      expect(mL).toBeLessThan(1800);
      // Keeps the brain: the grey and white matter found by the tissue model lie inside the mask.
      expect(tissueOutside / tissueVoxels).toBeLessThan(0.002);
      // Removes the skull: a large share of the head's non-zero voxels (scalp, skull, neck) is outside.
      expect(brightOutside / bright).toBeGreaterThan(0.25);
    },
  );
});
