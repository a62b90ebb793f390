/**
 * `voxseg segment <input> -m <model> -o labels.nii.gz [--device native|wasm]`: run a model on one
 * series with the same pipeline as the app and write the labels on the input's own grid.
 *
 * Before the model runs, the study is checked against the model with the app's rules
 * (`inference/fit.ts`): a 2-D image or a 4-D series (a NIfTI file with dim[4..7] > 1, of which the
 * reader loads only the first volume and records `sourceVolumes`) is refused with the file named; a model meant for another
 * modality or body part, or cautions such as thick slices, are printed as `warning: …` lines on
 * stderr and the run goes on (the user may know better).
 */
import { dirname, resolve } from 'node:path';
import { VoxsegError } from '../../core/errors';
import { writeNifti } from '../../io/nifti/index';
import { checkRunnable, modelFit, studyFacts } from '../../inference/fit';
import { parseManifestText, type ModelManifest } from '../../inference/manifest';
import { checkSha256 } from '../../inference/models';
import { inspectOnnx } from '../../inference/onnx/reader';
import { countLabels } from '../../volume/labels';
import { checkModel } from '../../inference/model-check';
import { loadInput } from '../inputs';
import { dicomwebHelp, dicomwebOptions, isDicomwebRef, parseRef } from '../dicomweb';
import { loadDicomwebInput } from '../dicomweb-input';
import { stowSeg } from '../dicomweb-seg';
import { openSegmenter, readPreModel } from '../segment/segmenter';
import { parse, usage, writeOutput, type Command } from '../util';
import { readFileInside, readRegularFile, readRegularText } from '../node-files';
import { checkMemoryBudget } from '../../inference/budget';
import { nonFiniteNote } from '../../inference/finite';
import { onnxCost } from '../../inference/onnx/cost';
import { memoryBudget } from '../limits';

const help = `Usage: voxseg segment <dicom-dir|file.nii.gz> -m MODEL -o labels.nii.gz [options]
       voxseg segment dicomweb:NAME/studies/S/series/R|URL -m MODEL [-o labels.nii.gz] [--stow]

Segment one series with a model (ONNX + manifest.json) and write a label NIfTI on the
input's own grid. Prints a JSON summary (voxels per label, seconds, device).

The input may be a series on a DICOMweb server: dicomweb:NAME/studies/S/series/R (with
--dicomweb NAME=URL) or its URL, https://pacs/dicom-web/studies/S/series/R. It is retrieved
(progress on stderr) and loaded as local files are; --stow stores the result on the same
server as a DICOM SEG built as 'voxseg export-seg' builds it, and prints the server's answer.

Options:
  -m, --model PATH      model folder (holding manifest.json) or a manifest.json file
      --onnx FILE       ONNX file to use instead of the one the manifest names
  -o, --output FILE     output .nii or .nii.gz (required unless --stow)
  -d, --device DEV      native (onnxruntime-node, default) or wasm (onnxruntime-web, as in
                        the browser)
  -s, --series SEL      which series when several are found (index or UID, see 'voxseg info')
      --masked FILE     brain extraction models: also write the image with everything outside
                        the brain set to background (.nii or .nii.gz)
      --memory-budget SIZE
                        refuse a model whose patch, batch or conform grid needs more memory
                        than SIZE (e.g. 8G; default half the machine's memory, or
                        VOXSEG_MEMORY_BUDGET), checked before the image is loaded
      --stow            DICOMweb input: store the labels on its server as a DICOM SEG
${dicomwebHelp}
  -h, --help            show this help

NaN or infinite voxels in the input are not measurements: they are counted in a warning and
replaced with the image's minimum before inference. VOXSEG_MEMORY_CEILING (default 4G) bounds
the size an input file may declare.

Exit status: 0 ok, 1 bad input or model (the message names the file and cause), 2 usage.
`;

export async function readManifest(path: string): Promise<{ manifest: ModelManifest; file: string }> {
  const file = /\.json$/i.test(path) ? path : resolve(path, 'manifest.json');
  let text: string;
  try {
    text = await readRegularText(file);
  } catch (e) {
    if (e instanceof VoxsegError) throw e;
    throw new VoxsegError('not-found', 'model manifest not found (give a model folder or a manifest.json)', { file });
  }
  return { manifest: parseManifestText(text, file), file };
}

/**
 * The ONNX file: `folder` is the manifest's folder when the file is the one the manifest names
 * (then it must really lie inside it, symbolic links followed), undefined for a --onnx override.
 */
export async function readModel(
  file: string,
  manifest: ModelManifest,
  checkSum: boolean,
  folder?: string,
): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = folder === undefined ? await readRegularFile(file) : await readFileInside(folder, file);
  } catch (e) {
    if (e instanceof VoxsegError) throw e;
    throw new VoxsegError('not-found', 'ONNX model file not found (use --onnx FILE to point at it)', { file });
  }
  if (checkSum) await checkSha256(bytes, manifest.model.sha256, file);
  return bytes;
}

export const segmentCommand: Command = {
  name: 'segment',
  summary: 'segment a series with an ONNX model; write labels as NIfTI',
  help,
  async run(args, io) {
    const { values, positionals } = parse(args, {
      model: { type: 'string', short: 'm' },
      onnx: { type: 'string' },
      output: { type: 'string', short: 'o' },
      device: { type: 'string', short: 'd' },
      series: { type: 'string', short: 's' },
      masked: { type: 'string' },
      'memory-budget': { type: 'string' },
      stow: { type: 'boolean' },
      ...dicomwebOptions,
    });
    if (values.help) {
      io.out(help);
      return 0;
    }
    if (!positionals.length) throw usage('segment needs an input: a DICOM folder/files or a NIfTI file');
    if (!values.model) throw usage('segment needs a model: -m MODEL_DIR or -m manifest.json');
    const out = values.output;
    const ref =
      positionals.length === 1 && isDicomwebRef(positionals[0]) ? parseRef(positionals[0], values) : undefined;
    if (values.stow && !ref) throw usage('--stow needs a DICOMweb input: dicomweb:NAME/studies/…/series/… or its URL');
    if (!out && !values.stow) throw usage('segment needs an output file: -o labels.nii.gz');
    if (out && !/\.nii(\.gz)?$/i.test(out)) throw usage(`output ${JSON.stringify(out)} must end in .nii or .nii.gz`);
    if (values.masked !== undefined && !/\.nii(\.gz)?$/i.test(values.masked))
      throw usage(`--masked ${JSON.stringify(values.masked)} must end in .nii or .nii.gz`);
    const device = values.device ?? 'native';
    if (device !== 'native' && device !== 'wasm')
      throw usage(`--device must be native or wasm, got ${JSON.stringify(device)}`);

    const budget = memoryBudget(values['memory-budget']);

    const t0 = performance.now();
    const { manifest, file: manifestFile } = await readManifest(values.model);
    const onnxFile = values.onnx ?? resolve(dirname(manifestFile), manifest.model.file);
    const bytes = await readModel(onnxFile, manifest, true, values.onnx ? undefined : dirname(manifestFile));
    const shape = checkModel(inspectOnnx(bytes, onnxFile), manifest, onnxFile, manifestFile);
    // fail early, before the image is loaded or a session created
    checkMemoryBudget(manifest, budget.bytes, manifestFile, {
      firstStageChannels: onnxCost(bytes, onnxFile).firstConvChannels,
      graphBatch: shape.batch,
      hint: budget.hint,
    });
    const preModel = await readPreModel(manifestFile, manifest);
    const warn = (w: string) => io.err(`warning: ${w}\n`);
    const remote = ref ? await loadDicomwebInput(ref, io, warn) : undefined;
    const { volume, series } = remote ?? (await loadInput(positionals, values.series, warn));
    const inputName = series.kind === 'nifti' || positionals.length !== 1 ? series.firstFile : positionals[0];
    const facts = studyFacts(volume);
    checkRunnable(facts, inputName);
    const fit = modelFit(manifest, facts);
    if (!fit.fits) io.err(`warning: ${manifest.id}: ${fit.summary}\n`);
    for (const reason of fit.reasons) io.err(`warning: ${reason}\n`);
    const nonFinite = nonFiniteNote(volume);
    if (nonFinite) io.err(`warning: ${inputName}: ${nonFinite}\n`);

    const segmenter = await openSegmenter(device === 'native' ? 'native' : 'wasm', bytes, manifest, shape, preModel, {
      model: onnxFile,
      preModel:
        manifest.preprocessing.mode === 'whole-volume' && manifest.preprocessing.crop?.preModel
          ? resolve(dirname(manifestFile), manifest.preprocessing.crop.preModel.file)
          : undefined,
    });
    let run;
    try {
      run = await segmenter.segment(volume);
    } catch (e) {
      // a model that loads but fails when it runs: name the model file
      if (e instanceof VoxsegError && !e.file && e.code === 'inference-failed')
        throw new VoxsegError(e.code, e.reason, { file: onnxFile, cause: e });
      throw e;
    } finally {
      await segmenter.release();
    }
    const { labels, maskedImage, ...info } = run;
    if (out)
      await writeOutput(
        out,
        writeNifti(labels, { gzip: /\.gz$/i.test(out), description: `voxseg ${manifest.id} labels`, name: out }),
      );
    if (values.masked && maskedImage)
      await writeOutput(
        values.masked,
        writeNifti(maskedImage, {
          gzip: /\.gz$/i.test(values.masked),
          description: `voxseg ${manifest.id} masked image`,
        }),
      );
    else if (values.masked)
      io.err(
        `warning: ${manifest.id} gives no masked image (only brain extraction models do); ${values.masked} was not written\n`,
      );
    const summary = {
      output: out,
      ...(values.masked && maskedImage ? { masked: values.masked } : {}),
      model: manifest.id,
      ...info,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
      dims: labels.header.dims,
      voxelsPerLabel: countLabels(labels.voxels),
      labels: Object.fromEntries(manifest.labels.map((l) => [l.value, l.name])),
    };
    const stowed = remote && values.stow ? await stowSeg(remote.client, volume, labels, manifest) : undefined;
    io.out(JSON.stringify(stowed ? { ...summary, stow: stowed } : summary, null, 2) + '\n');
    for (const f of stowed?.answer.failed ?? [])
      io.err(`voxseg segment: ${stowed!.server} did not store the SEG ${f.sopInstanceUid}: ${f.reason}\n`);
    return stowed?.answer.failed.length ? 1 : 0;
  },
};
