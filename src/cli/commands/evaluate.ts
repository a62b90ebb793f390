/**
 * `voxseg evaluate MODEL [--phantom SEEDS] [--pair IMAGE LABELS]... -o report.json`: segment
 * held-out phantom cases and labelled image/label pairs with a model, exactly as `voxseg segment`
 * does (same manifest and ONNX checks, same pipeline and runtimes), and report Dice and the 95%
 * Hausdorff distance per label (src/volume/metrics.ts) plus the runtime per case.
 */
import type { EvalReport, LabelScore, LabelSummary, ReportCase } from '../../inference/report';
import { stat } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { VoxsegError } from '../../core/errors';
import type { Vec3, Volume } from '../../core/types';
import { readLabelTable } from '../../io/seg/label-table';
import { alignToGrid } from '../../io/seg/grid';
import type { LabelInfo, ModelManifest } from '../../inference/manifest';
import { checkRunnable, modelFit, studyFacts } from '../../inference/fit';
import { checkModel } from '../../inference/model-check';
import { sha256Hex } from '../../inference/models';
import { inspectOnnx } from '../../inference/onnx/reader';
import { generatePhantom, parseSeeds, phantomCase, PHANTOM_LABELS, type CaseKind } from '../../phantom/index';
import { gridMismatch } from '../../volume/grid';
import { labelMetrics, type LabelPair } from '../../volume/metrics';
import { loadInput } from '../inputs';
import { pad } from '../table';
import { fmtVec, parse, parseTriple, usage, writeOutput, type CliIO, type Command } from '../util';
import { readManifest, readModel } from './segment';
import { openSegmenter, readPreModel } from '../segment/segmenter';
import { readRegularText } from '../node-files';

const help = `Usage: voxseg evaluate MODEL [--phantom SEEDS [--kind demo|varied]]
                       [--pair IMAGE LABELS]... -o report.json [options]

Segment held-out cases with a model (a folder holding manifest.json, or a manifest.json) the
way 'voxseg segment' does, and report per label the Dice overlap and the 95% Hausdorff
distance (HD95, mm; MONAI's definition: surface voxels, both directions) against the truth,
plus the runtime per case. Prints a table (or the report with --json).

Cases:
  --phantom SEEDS       synthetic phantom cases by seed, e.g. 1001-1005,1010; the truth is
                        the phantom's label map (liver, spleen, kidney_right, kidney_left,
                        aorta, spine, lungs). Repeatable; a 'demo:' or 'varied:' prefix
                        sets the kind of that group (--phantom demo:1-5 --phantom varied:9)
  --kind K              demo (the demo study's acquisition, default) or varied (field of
                        view, spacing, noise and anatomy drawn from the seed)
  --dims X,Y,Z          generate the phantom cases on this grid instead, same field of view
                        (coarser voxels; for quick checks)
  --pair IMAGE LABELS   an image (NIfTI file or DICOM folder) and its label NIfTI on the
                        same voxels (repeatable). Truth labels are named by a label table
                        beside LABELS (<name>.json, else labels.json: [{"value", "name"}],
                        as 'voxseg phantom --labels' writes) or --truth-labels; without one
                        a truth value is the model label of the same value
  --truth-labels FILE   label table for the truth of every --pair

Model labels and truth labels are matched by name (case, spaces, '_' and '-' ignored);
labels without a counterpart are left out (with a warning).

Options:
  -o, --output FILE     report JSON (required): schema voxseg-report/1
      --markdown FILE   also write the report as Markdown tables
      --json            print the report JSON instead of the table
  -d, --device DEV      cpu (onnxruntime-node, default; 'native' too) or wasm
                        (onnxruntime-web in a worker thread, as in the browser)
      --onnx FILE       ONNX file to use instead of the one the manifest names
  -h, --help            show this help

Exit status: 0 ok, 1 bad input or model (the message names the file and cause), 2 usage.
`;

/** Label table entry of the truth. */
interface TruthLabel {
  value: number;
  name: string;
}

interface CaseSpec {
  name: string;
  source: 'phantom' | 'pair';
  seed?: number;
  kind?: CaseKind;
  image?: string;
  labels?: string;
  pairs: LabelPair[];
  load(): Promise<{ image: Volume; truth: Volume }>;
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));
const roundOrNull = (v: number | null, digits: number) => (v === null ? null : round(v, digits));
const normName = (s: string) =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');

/** `--pair IMAGE LABELS` takes two values, which node:util parseArgs cannot express: split them off. */
function splitPairs(args: string[]): { rest: string[]; pairs: [string, string][] } {
  const rest: string[] = [];
  const pairs: [string, string][] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      rest.push(...args.slice(i));
      break;
    }
    if (a.startsWith('--pair=')) throw usage('write --pair IMAGE LABELS (two values after --pair)');
    if (a !== '--pair') {
      rest.push(a);
      continue;
    }
    const [image, labels] = [args[i + 1], args[i + 2]];
    if (image === undefined || labels === undefined || image.startsWith('-') || labels.startsWith('-'))
      throw usage('--pair needs two values: --pair IMAGE LABELS');
    pairs.push([image, labels]);
    i += 2;
  }
  return { rest, pairs };
}

/** Model label ↔ truth label pairs by name (or, without a truth table, by value). */
function matchLabels(
  model: readonly LabelInfo[],
  truth: readonly TruthLabel[] | null,
): { pairs: LabelPair[]; modelOnly: string[]; truthOnly: string[] } {
  if (!truth)
    return { pairs: model.map((l) => ({ name: l.name, truth: l.value, pred: l.value })), modelOnly: [], truthOnly: [] };
  const byName = new Map(truth.map((t) => [normName(t.name), t]));
  const pairs: LabelPair[] = [];
  const used = new Set<TruthLabel>();
  const modelOnly: string[] = [];
  for (const l of model) {
    const t = byName.get(normName(l.name));
    if (t && !used.has(t)) {
      used.add(t);
      pairs.push({ name: l.name, truth: t.value, pred: l.value });
    } else modelOnly.push(l.name);
  }
  return { pairs, modelOnly, truthOnly: truth.filter((t) => !used.has(t)).map((t) => t.name) };
}

async function mustExist(file: string, what: string): Promise<void> {
  try {
    await stat(file);
  } catch {
    throw new VoxsegError('not-found', `no such file or folder (${what})`, { file });
  }
}

/** The label table of a pair's truth: --truth-labels, else <stem>.json or labels.json beside it. */
async function truthTable(
  labelsFile: string,
  explicit: string | undefined,
): Promise<{ table: TruthLabel[]; file: string } | null> {
  const stem = basename(labelsFile).replace(/\.nii(\.gz)?$/i, '');
  const candidates = explicit
    ? [explicit]
    : [...new Set([join(dirname(labelsFile), `${stem}.json`), join(dirname(labelsFile), 'labels.json')])];
  for (const file of candidates) {
    let text: string;
    try {
      text = await readRegularText(file);
    } catch (e) {
      if (e instanceof VoxsegError) throw e;
      if (explicit) throw new VoxsegError('not-found', 'label table not found (--truth-labels)', { file });
      continue;
    }
    return { table: readLabelTable(text, file).map((e) => ({ value: e.value, name: e.name })), file };
  }
  return null;
}

/** Truth label map on the image's voxels (axes may be permuted / flipped), else a clear error. */
function truthOnImageGrid(truth: Volume, image: Volume, labelsFile: string, imageFile: string): Volume {
  try {
    return alignToGrid(truth, image, labelsFile);
  } catch (e) {
    if (!(e instanceof VoxsegError) || e.code !== 'invalid-volume') throw e;
    const why = gridMismatch(truth.header, image.header) ?? 'another grid';
    throw new VoxsegError(
      'invalid-volume',
      `label map is not on the grid of the image ${imageFile} (${why}); resample it onto the image first`,
      { file: labelsFile },
    );
  }
}

const host = () => ({
  cpu: cpus()[0]?.model?.trim() ?? 'unknown',
  cores: cpus().length,
  platform: `${platform()} ${arch()}`,
  node: process.version,
});

/**
 * Mean/min Dice and mean/max HD95 per label over the cases where the truth or the prediction has
 * it (both empty says nothing about the model, as MONAI and nnU-Net leave such cases out); labels
 * in no such case are left out.
 */
function summarize(names: string[], cases: ReportCase[]): Record<string, LabelSummary> {
  const out: Record<string, LabelSummary> = {};
  for (const name of names) {
    const rows = cases
      .map((c) => c.labels[name])
      .filter((m): m is LabelScore => !!m && m.truthVoxels + m.predVoxels > 0);
    if (!rows.length) continue; // in no case: nothing to summarize
    const dices = rows.map((m) => m.dice);
    const hds = rows.map((m) => m.hd95).filter((v): v is number => v !== null);
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    out[name] = {
      meanDice: round(mean(dices), 4),
      minDice: round(Math.min(...dices), 4),
      meanHd95: hds.length ? round(mean(hds), 2) : null,
      maxHd95: hds.length ? round(Math.max(...hds), 2) : null,
      cases: rows.length,
      hd95Missing: rows.length - hds.length,
    };
  }
  return out;
}

const cell = (v: number | null, digits: number) => (v === null ? '-' : v.toFixed(digits));

function labelRows(report: EvalReport): string[][] {
  const rows = [['label', 'cases', 'mean Dice', 'min Dice', 'mean HD95 (mm)', 'max HD95 (mm)']];
  for (const [name, s] of Object.entries(report.summary))
    rows.push([
      name,
      String(s.cases),
      s.meanDice.toFixed(4),
      s.minDice.toFixed(4),
      cell(s.meanHd95, 2),
      cell(s.maxHd95, 2) + (s.hd95Missing ? ` (${s.hd95Missing} missing)` : ''),
    ]);
  return rows;
}

function caseMeanDice(c: ReportCase): number | null {
  const d = Object.values(c.labels)
    .filter((m) => m.truthVoxels + m.predVoxels > 0)
    .map((m) => m.dice);
  return d.length ? d.reduce((s, x) => s + x, 0) / d.length : null;
}

function textReport(report: EvalReport): string {
  const cases = [['case', 'dims', 'spacing (mm)', 'seconds', 'mean Dice']];
  for (const c of report.cases)
    cases.push([c.name, c.dims.join('x'), fmtVec(c.spacing, 2), c.seconds.toFixed(2), cell(caseMeanDice(c), 4)]);
  return [
    `model ${report.model.id} ${report.model.version} (${report.model.name}), device ${report.runtime.device}, ${report.cases.length} case(s), ${report.meanSeconds.toFixed(2)} s per case`,
    '',
    pad(labelRows(report)),
    '',
    pad(cases),
    '',
  ].join('\n');
}

function markdownReport(report: EvalReport): string {
  const md = (rows: string[][], right: number) =>
    [rows[0], rows[0].map((_, i) => (i >= right ? '---:' : '---')), ...rows.slice(1)]
      .map((r) => `| ${r.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |`)
      .join('\n');
  const names = Object.keys(report.summary);
  const perCase = [['Case', 'Source', 'Dims', 'Spacing (mm)', 'Seconds', ...names.map((n) => `${n} Dice / HD95`)]];
  for (const c of report.cases)
    perCase.push([
      c.name,
      c.source,
      c.dims.join('×'),
      fmtVec(c.spacing, 2, ' × '),
      c.seconds.toFixed(2),
      ...names.map((n) => {
        const m = c.labels[n];
        return m ? `${m.dice.toFixed(4)} / ${m.hd95 === null ? '-' : m.hd95.toFixed(2)}` : '';
      }),
    ]);
  const rt = report.runtime;
  const labelTable = labelRows(report);
  labelTable[0] = ['Label', 'Cases', 'Mean Dice', 'Min Dice', 'Mean HD95 (mm)', 'Max HD95 (mm)'];
  return [
    `# Evaluation of ${report.model.name}`,
    '',
    `Model \`${report.model.id}\` ${report.model.version} (ONNX sha256 \`${(report.model.sha256 ?? '').slice(0, 16)}…\`), ` +
      `${report.created}; ${rt.engine} on ${rt.device}, ${rt.threads} threads (${rt.cpu}). ` +
      `${report.cases.length} case(s), mean ${report.meanSeconds.toFixed(2)} s per case.`,
    '',
    'Dice overlap and 95% Hausdorff distance (MONAI definition) per label, over the cases where the truth or the prediction has the label; HD95 "-" when one side is empty.',
    '',
    '## Per label',
    '',
    md(labelTable, 1),
    '',
    '## Per case',
    '',
    md(perCase, 4),
    '',
  ].join('\n');
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'segment labelled cases (phantom, NIfTI pairs) with a model; report Dice and HD95',
  help,
  async run(args: string[], io: CliIO) {
    const { rest, pairs: pairArgs } = splitPairs(args);
    const { values, positionals } = parse(rest, {
      phantom: { type: 'string', multiple: true },
      kind: { type: 'string' },
      dims: { type: 'string' },
      'truth-labels': { type: 'string' },
      output: { type: 'string', short: 'o' },
      markdown: { type: 'string' },
      json: { type: 'boolean' },
      device: { type: 'string', short: 'd' },
      onnx: { type: 'string' },
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (positionals.length !== 1)
      throw usage(
        positionals.length
          ? `evaluate takes one model, got ${positionals.map((p) => JSON.stringify(p)).join(' ')}`
          : 'evaluate needs a model: a model folder or a manifest.json',
      );
    const out = values.output;
    if (!out) throw usage('evaluate needs a report file: -o report.json');
    const device = values.device ?? 'cpu';
    if (!['cpu', 'native', 'wasm'].includes(device))
      throw usage(`--device must be cpu or wasm, got ${JSON.stringify(device)}`);
    const kind = (values.kind ?? 'demo') as CaseKind;
    if (kind !== 'demo' && kind !== 'varied')
      throw usage(`--kind must be demo or varied, got ${JSON.stringify(values.kind)}`);
    for (const opt of ['kind', 'dims'] as const)
      if (values[opt] !== undefined && values.phantom === undefined)
        throw usage(`--${opt} applies to phantom cases: give --phantom SEEDS`);
    const dims = parseTriple(values.dims, 'dims', true);
    const groups: { kind: CaseKind; seeds: number[] }[] = [];
    for (const text of values.phantom ?? []) {
      const m = /^(demo|varied):(.*)$/.exec(text);
      try {
        const seeds = parseSeeds(m ? m[2] : text);
        if (!seeds.length) throw new Error('no seeds');
        groups.push({ kind: m ? (m[1] as CaseKind) : kind, seeds });
      } catch (e) {
        throw usage(
          `--phantom ${text}: ${e instanceof Error ? e.message : String(e)} (e.g. 1001-1005 or varied:2001-2005)`,
        );
      }
    }
    const seeds = groups.flatMap((g) => g.seeds);
    if (!seeds.length && !pairArgs.length)
      throw usage('evaluate needs cases: --phantom SEEDS and/or --pair IMAGE LABELS');
    const warn = (() => {
      const seen = new Set<string>();
      return (w: string) => {
        if (!seen.has(w)) io.err(`warning: ${w}\n`);
        seen.add(w);
      };
    })();

    const { manifest, file: manifestFile } = await readManifest(positionals[0]);

    // The cases and their label pairs, all checked before the first (slow) segmentation.
    const pairsFor = (truth: TruthLabel[] | null, what: string): LabelPair[] => {
      const m = matchLabels(manifest.labels, truth);
      if (!m.pairs.length)
        throw new VoxsegError(
          'invalid-model',
          `no label of model ${manifest.id} (${manifest.labels.map((l) => l.name).join(', ')}) matches by name a label of ${what}: ${(truth ?? []).map((t) => t.name).join(', ')}`,
        );
      if (m.modelOnly.length) warn(`${what}: no truth for model label(s) ${m.modelOnly.join(', ')} (left out)`);
      if (m.truthOnly.length)
        warn(`${what}: label(s) ${m.truthOnly.join(', ')} not in model ${manifest.id} (left out)`);
      return m.pairs;
    };
    const cases: CaseSpec[] = [];
    if (seeds.length) {
      const pairs = pairsFor([...PHANTOM_LABELS], 'the phantom');
      for (const { kind, seeds } of groups)
        for (const seed of seeds) {
          cases.push({
            name: `phantom-${kind}-${seed}`,
            source: 'phantom',
            seed,
            kind,
            pairs,
            async load() {
              const c = phantomCase(seed, kind);
              if (dims) {
                c.spacing = c.spacing.map((s, i) => (s * c.dims[i]) / dims[i]) as Vec3;
                c.dims = [...dims];
              }
              const ph = generatePhantom(c);
              return { image: ph.ct, truth: ph.labels };
            },
          });
        }
    }
    for (const [image, labels] of pairArgs) {
      await mustExist(image, 'image of --pair');
      await mustExist(labels, 'labels of --pair');
      if (!/\.nii(\.gz)?$/i.test(labels))
        throw usage(`--pair ${image} ${labels}: the labels must be a .nii or .nii.gz file`);
      const t = await truthTable(labels, values['truth-labels']);
      if (!t)
        warn(
          `${labels}: no label table beside it (labels.json) and no --truth-labels: truth values are matched to model labels of the same value`,
        );
      cases.push({
        name: basename(image).replace(/\.nii(\.gz)?$/i, '') || image,
        source: 'pair',
        image,
        labels,
        pairs: pairsFor(t?.table ?? null, t ? `${labels} (names from ${t.file})` : labels),
        async load() {
          const img = (await loadInput([image], undefined, (w) => warn(`${image}: ${w}`))).volume;
          const lab = (await loadInput([labels], undefined, (w) => warn(`${labels}: ${w}`))).volume;
          return { image: img, truth: truthOnImageGrid(lab, img, labels, image) };
        },
      });
    }

    // Pairs of the same file name are told apart by their folder (then by number).
    const taken = new Set<string>();
    const shared = new Set(cases.map((c) => c.name).filter((n, i, all) => all.indexOf(n) !== i));
    for (const c of cases) {
      const named = shared.has(c.name) && c.image ? `${basename(dirname(resolve(c.image)))}/${c.name}` : c.name;
      let name = named;
      for (let n = 2; taken.has(name); n++) name = `${named}#${n}`;
      taken.add(name);
      c.name = name;
    }

    // The model, checked as 'voxseg segment' checks it.
    const onnxFile = values.onnx ?? resolve(dirname(manifestFile), manifest.model.file);
    const bytes = await readModel(onnxFile, manifest, true, values.onnx ? undefined : dirname(manifestFile));
    const shape = checkModel(inspectOnnx(bytes, onnxFile), manifest, onnxFile);
    const sha256 = manifest.model.sha256 ?? (await sha256Hex(bytes));
    const segmenter = await openSegmenter(
      device === 'wasm' ? 'wasm' : 'native',
      bytes,
      manifest,
      shape,
      await readPreModel(manifestFile, manifest),
    );
    const runtime: Record<string, unknown> = {
      device: device === 'wasm' ? 'wasm' : 'cpu',
      engine: segmenter.engine,
      threads: cpus().length,
      ...host(),
    };
    const results: ReportCase[] = [];
    try {
      for (const [k, c] of cases.entries()) {
        const { image, truth } = await c.load();
        // The same rules as `voxseg segment` and the app (inference/fit.ts).
        const facts = studyFacts(image);
        checkRunnable(facts, c.source === 'pair' ? c.image : c.name);
        const fit = modelFit(manifest, facts);
        if (!fit.fits) warn(`${c.name}: ${fit.summary}`);
        const t0 = performance.now();
        const { labels: pred, notes, threads } = await segmenter.segment(image);
        runtime.threads = threads;
        const seconds = (performance.now() - t0) / 1000;
        for (const n of notes) warn(`${c.name}: ${n}`);
        const h = image.header;
        const metrics = labelMetrics(truth.voxels, pred.voxels, c.pairs, h.dims, h.spacing);
        results.push({
          name: c.name,
          source: c.source,
          ...(c.seed !== undefined ? { seed: c.seed, kind: c.kind } : {}),
          ...(c.image !== undefined ? { image: c.image, labelsFile: c.labels } : {}),
          dims: [...h.dims] as Vec3,
          spacing: h.spacing.map((s) => round(s, 4)) as Vec3,
          seconds: round(seconds, 3),
          labels: Object.fromEntries(
            metrics.map((m) => [
              m.name,
              {
                dice: round(m.dice, 4),
                hd95: roundOrNull(m.hd95, 2),
                truthVoxels: m.truthVoxels,
                predVoxels: m.predVoxels,
              },
            ]),
          ),
        });
        const mean = caseMeanDice(results[results.length - 1]);
        io.err(
          `[${k + 1}/${cases.length}] ${c.name} (${h.dims.join('x')}): ${seconds.toFixed(2)} s, mean Dice ${cell(mean, 4)}\n`,
        );
      }
    } finally {
      await segmenter.release();
    }

    const report: EvalReport = {
      schema: 'voxseg-report/1',
      model: { id: manifest.id, name: manifest.name, version: manifest.version, sha256 },
      created: new Date().toISOString(),
      runtime,
      cases: results,
      summary: summarize(
        manifest.labels.map((l) => l.name),
        results,
      ),
      meanSeconds: round(results.reduce((s, c) => s + c.seconds, 0) / results.length, 3),
    };
    await writeOutput(out, JSON.stringify(report, null, 2) + '\n');
    if (values.markdown) await writeOutput(values.markdown, markdownReport(report));
    const wrote = `wrote ${out}${values.markdown ? ` and ${values.markdown}` : ''}\n`;
    if (values.json) {
      io.out(JSON.stringify(report, null, 2) + '\n');
      io.err(wrote);
    } else io.out(textReport(report) + wrote);
    return 0;
  },
};
