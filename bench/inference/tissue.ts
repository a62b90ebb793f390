/**
 * Tissue accuracy rows of the inference section: real converted brainchop tissue models on a real
 * skull-stripped T1 (`bet.nii.gz`), Dice of white and grey matter against FSL FAST's partial-volume
 * maps thresholded at 0.5. One Node child per model (`tissue-child.ts`, native pipeline as
 * `voxseg segment --device native`). Skipped with a note when ../shared is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, markdownTable } from '../lib/table';
import { REPO, SHARED } from '../loading/datasets';
import { TISSUE_INPUT, TISSUE_MODELS, TISSUE_TRUTH, type TissueModel, type TissueRun } from './tissue-models';

export interface TissueResult {
  markdown: string;
  runs: TissueRun[];
  errors: Record<string, string>;
}

function missingShared(models: TissueModel[]): string | undefined {
  const need = [TISSUE_INPUT, TISSUE_TRUTH.wm, TISSUE_TRUTH.gm, 'models/brainchop-tfjs/models-list.json'];
  for (const m of models) need.push(m.kind === 'onnx' ? m.onnx : `models/brainchop-tfjs/${m.folder}/model.json`);
  return need.map((p) => join(SHARED, p)).find((p) => !existsSync(p));
}

function runChild(id: string, timeoutMs: number): TissueRun {
  const child = join(REPO, 'bench/inference/tissue-child.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, id], {
    cwd: REPO,
    encoding: 'utf8',
    maxBuffer: 16 << 20,
    timeout: timeoutMs,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT')
    throw new Error(`no result within ${Math.round(timeoutMs / 1000)} s`);
  if (r.status !== 0)
    throw new Error(
      `child exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-4).join(' / ')}`,
    );
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as TissueRun;
}

/** A ±1-voxel shift as text: 'none' when the unshifted masks agree best. */
const shift = (s: readonly number[]) => (s.every((x) => x === 0) ? 'none' : `[${s.join(',')}]`);

const TITLE = '### Tissue accuracy: brainchop grey/white matter models on bet.nii.gz vs FSL FAST';

/** Run the tissue rows (`only`: model ids, default all). */
export function runTissue(opts: { only?: string[]; timeoutMs: number }): TissueResult {
  const models = TISSUE_MODELS.filter((m) => !opts.only || opts.only.includes(m.id));
  const unknown = (opts.only ?? []).filter((id) => !TISSUE_MODELS.some((m) => m.id === id));
  if (unknown.length)
    throw new Error(
      `--tissue-models: unknown ${unknown.join(', ')} (known: ${TISSUE_MODELS.map((m) => m.id).join(', ')})`,
    );
  const missing = missingShared(models);
  if (missing) {
    const msg = `${missing} not found (no ../shared checkout): tissue accuracy rows skipped`;
    console.log(`bench: ${msg}`);
    return { markdown: `${TITLE}\n\nSkipped: ${msg}.`, runs: [], errors: {} };
  }
  const runs: TissueRun[] = [];
  const errors: Record<string, string> = {};
  for (const m of models) {
    console.log(`bench: inference tissue accuracy, ${m.id} on ${TISSUE_INPUT} (native)`);
    try {
      const r = runChild(m.id, opts.timeoutMs);
      runs.push(r);
      console.log(
        `  ${m.id.padEnd(16)} WM Dice ${r.wmDice.toFixed(3)}  GM Dice ${r.gmDice.toFixed(3)}  ${fmt(r.seconds, 1)} s (model ${fmt(r.modelSeconds, 1)} s, cpu ${fmt(r.cpuSeconds, 1)} s)  ` +
          `centroid Δ WM ${r.wmCentroidMm.toFixed(2)} mm GM ${r.gmCentroidMm.toFixed(2)} mm  best ±1 shift WM ${shift(r.wmBestShift)} GM ${shift(r.gmBestShift)}` +
          (r.notes.length ? `  notes: ${r.notes.join('; ')}` : ''),
      );
    } catch (e) {
      errors[m.id] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      console.log(`  ${m.id} FAILED: ${errors[m.id]}`);
    }
  }
  const rows = models.map((m) => {
    const r = runs.find((x) => x.id === m.id);
    if (!r) return [m.id, `FAILED: ${errors[m.id] ?? 'not run'}`];
    return [
      m.id,
      r.wmDice.toFixed(3),
      r.gmDice.toFixed(3),
      `${fmt(r.wmModel)} / ${fmt(r.wmFast)}`,
      `${fmt(r.gmModel)} / ${fmt(r.gmFast)}`,
      fmt(r.seconds, 1),
      fmt(r.modelSeconds, 1),
      `${r.wmCentroidMm.toFixed(1)} / ${r.gmCentroidMm.toFixed(1)}`,
      `${shift(r.wmBestShift)} / ${shift(r.gmBestShift)}`,
      `${r.normalization}${r.crop !== null ? `, crop +${r.crop}` : ', no crop'}`,
    ];
  });
  const first = runs[0];
  const markdown = [
    TITLE,
    '',
    markdownTable(
      [
        'model',
        'WM Dice',
        'GM Dice',
        'WM voxels (model / FAST)',
        'GM voxels (model / FAST)',
        'seconds',
        'model s',
        'centroid Δ mm (WM / GM)',
        'better ±1 shift (WM / GM)',
        'normalization, crop',
      ],
      rows,
    ),
    '',
    `Input ${TISSUE_INPUT} (${first ? first.dims.join('x') : '142x178x142'}, 1 mm, oblique), segmented with the native pipeline as \`voxseg segment --device native\` ` +
      `(conform to 256^3 1 mm LIA uint8, head crop, normalization, whole-volume model, argmax, labels back on the input grid by nearest neighbour; ` +
      `${first ? `${first.threads} threads` : 'all cores'}). Truth: FAST's ${TISSUE_TRUTH.wm.split('/').pop()} / ${TISSUE_TRUTH.gm.split('/').pop()} ` +
      `(uint8, probability = value/255) where probability >= 0.5, on the input's grid` +
      `${runs.some((r) => r.truthResampled) ? ' (resampled nearest: the FAST grid differs)' : ' (same grid as the input: no resampling)'}. ` +
      'Classes by the manifest label names (white / grey matter). Dice = 2|A∩B| / (|A|+|B|) over all voxels. ' +
      'seconds = wall time from the model check and ONNX session creation to labels on the input grid (model s = inside the ONNX run); the tfjs → ONNX conversion is outside it. ' +
      'Alignment checks: centroid Δ = distance between the world-mm centroids of the model mask and the FAST mask (a flipped or shifted grid gives tens of mm; ' +
      'a few mm come from where the two methods disagree, e.g. inferior white matter); better ±1 shift = a one-voxel shift of the model mask along an index axis that would raise its Dice ' +
      '(none: the unshifted masks agree best, as they do on aligned grids). ' +
      'The input has two synthetic spheres outside the left hemisphere (added by its authors); their voxels count like any other.',
    ...models.map((m) => {
      const r = runs.find((x) => x.id === m.id);
      return `- ${m.id}: ${m.about}${r ? ` → manifest \`${r.manifestId}\` ("${r.name}"), labels ${r.wmLabel} / ${r.gmLabel}${r.notes.length ? `; notes: ${r.notes.join('; ')}` : ''}` : ''}.`;
    }),
  ].join('\n');
  return { markdown, runs, errors };
}
