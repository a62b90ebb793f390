/**
 * The bundled brain models: brainchop's MIT-licensed MeshNet zoo (tfjs layers models + its
 * models-list.json settings) converted by voxseg's own importer (src/inference/brainchop) into
 * static/models/brainchop-<name>/ {model.onnx, premodel.onnx when the entry crops with a
 * pre-model, manifest.json, LICENSE}.
 *
 * The zoo is not part of the repository: `npm run models` reads it from
 * ../shared/data/models/brainchop-tfjs (or VOXSEG_BRAINCHOP_ZOO) and, without it, keeps the
 * committed files. Each entry below picks one models-list entry (its crop, threshold,
 * normalization, pre-model and post-processing go into the manifest) and adds the card text.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBrainchopModel } from '../../src/cli/commands/import-model';
import { convertBrainchop, selectBrainchopSettings } from '../../src/inference/brainchop/convert';
import type { ModelManifest } from '../../src/inference/manifest';

interface ZooEntry {
  /** Folder and manifest id in static/models. */
  id: string;
  /** models-list.json entry. */
  settingsId: number;
  name: string;
  description: string;
  modality: string[];
  notes: string;
  /** What it was trained on, for the card (default TRAINED). */
  data?: string;
}

const T1 =
  'T1-weighted brain MRI, any orientation and voxel size (voxseg conforms it to 256^3 1 mm as brainchop does); adult heads.';
const TRAINED =
  "brainchop's MeshNet (dilated 3-D convolutions, no pooling), trained by the brainchop authors on T1-weighted MRI conformed to 256^3 1 mm, with FreeSurfer-style labels (the label names are FreeSurfer's aseg/aparc names)";

export const BRAIN_MODELS: ZooEntry[] = [
  {
    id: 'brainchop-tissue-light',
    settingsId: 1,
    name: 'Brain tissue: grey and white matter (light)',
    description:
      'Grey and white matter of a T1 brain MRI in one pass. The light model (5 filters per layer): fast on any machine, less exact at the cortex than the full model. Its report: Dice against FSL FAST (partial volume >= 0.5) on a real skull-stripped T1.',
    modality: ['MR'],
    notes: T1,
  },
  {
    id: 'brainchop-tissue',
    settingsId: 2,
    name: 'Brain tissue: grey and white matter',
    description:
      "Grey and white matter of a T1 brain MRI in one pass: brainchop's most accurate tissue model (20 filters per layer). Crops to the head (intensity above 20% of the maximum) and normalizes by the 5%/95% quantiles. Its report: Dice against FSL FAST (partial volume >= 0.5) on a real skull-stripped T1.",
    modality: ['MR'],
    notes: T1,
  },
  {
    id: 'brainchop-brain-extraction',
    settingsId: 16,
    name: 'Brain extraction (skull strip)',
    description:
      'Removes skull, scalp and neck: gives a brain mask segment and the skull-stripped image as a new volume. brainchop\'s "omnimodal" MindGrab model, described by its authors as working on T1, T2, FLAIR, DWI, EPI, MRA, PD-weighted MRI, CT and PET.',
    modality: ['MR', 'CT', 'PT'],
    notes:
      'Head scans of any common contrast (brainchop: T1, T2, FLAIR, DWI, EPI, MRA, PDw, CT, PET); conformed to 256^3 1 mm inside.',
    data: "brainchop's MindGrab: a MeshNet (dilated 3-D convolutions, each followed by a per-channel normalization over the volume), trained by the brainchop authors for skull stripping across MRI contrasts, CT and PET (their description)",
  },
  {
    id: 'brainchop-brain-mask',
    settingsId: 13,
    name: 'Brain mask',
    description:
      'A brain mask of a T1 brain MRI (11 filters per layer). For a skull-stripped image use Brain extraction.',
    modality: ['MR'],
    notes: T1,
  },
  {
    id: 'brainchop-parcellation-18',
    settingsId: 6,
    name: 'Brain parcellation: 17 regions',
    description:
      'Grey and white matter plus subcortical structures (thalamus, caudate, putamen, pallidum, hippocampus, amygdala, ventricles, cerebellum, brain stem): 17 regions of a T1 brain MRI.',
    modality: ['MR'],
    notes: T1,
  },
  {
    id: 'brainchop-parcellation-50',
    settingsId: 8,
    name: 'Brain parcellation: 49 regions (aparc+aseg)',
    description:
      'FreeSurfer aparc+aseg-style parcellation with left and right cortical homologues merged: 49 regions. First finds the brain with the light tissue model and crops to it.',
    modality: ['MR'],
    notes: T1,
  },
  {
    id: 'brainchop-atlas-104',
    settingsId: 14,
    name: 'Brain atlas: 103 regions (Desikan-Killiany + subcortical)',
    description:
      'FreeSurfer aparc+aseg atlas: Desikan-Killiany cortical areas of each hemisphere and the subcortical structures, 103 regions. First finds the brain with the light tissue model and crops to it.',
    modality: ['MR'],
    notes: T1,
  },
];

export function brainchopZoo(root: string): string {
  return process.env.VOXSEG_BRAINCHOP_ZOO ?? join(root, '..', 'shared', 'data', 'models', 'brainchop-tfjs');
}

/**
 * Files of every bundled brain model (relative to static/models `out`), or null when the zoo is
 * missing. A report.json already in a model's folder (scripts/models/brain-reports.ts writes
 * them) is named in its manifest.
 */
export async function brainModelFiles(zoo: string, out: string): Promise<Record<string, Uint8Array | string> | null> {
  const listFile = join(zoo, 'models-list.json');
  if (!existsSync(listFile)) return null;
  const list = JSON.parse(readFileSync(listFile, 'utf8'));
  const license = readFileSync(join(zoo, 'LICENSE'), 'utf8');
  const folderOf = (path: unknown) => join(zoo, ...String(path).split('/').filter(Boolean).slice(-2, -1));
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const files: Record<string, Uint8Array | string> = {};
  for (const e of BRAIN_MODELS) {
    const settings = selectBrainchopSettings(list, '', 'model.json', e.settingsId);
    const src = await loadBrainchopModel(folderOf(settings.path));
    let preModel;
    if (settings.preModelId) {
      const ps = selectBrainchopSettings(list, '', 'model.json', settings.preModelId);
      preModel = { src: await loadBrainchopModel(folderOf(ps.path)), settings: ps };
    }
    const r = convertBrainchop(src, {
      settings,
      preModel,
      id: e.id,
      name: e.name,
      postProcess: list.brainChopOpts?.isPostProcessEnable !== false,
    });
    const m: ModelManifest = r.manifest;
    const pre = m.preprocessing.mode === 'whole-volume' ? m.preprocessing.crop?.preModel : undefined;
    if (r.preModel && pre) {
      pre.sha256 = sha(r.preModel.onnx);
      files[`${e.id}/${r.preModel.file}`] = r.preModel.onnx;
    }
    const manifest: ModelManifest = {
      ...m,
      version: '1.0.0',
      description: e.description,
      provenance: {
        source: `brainchop (github.com/neuroneural/brainchop, MIT), model ${src.modelId}, models-list entry ${e.settingsId} ("${settings.modelName?.replace(/^[^\p{L}\p{N}]+/u, '').trim()}"); converted from tfjs by voxseg's importer`,
        data: e.data ?? TRAINED,
        training: m.provenance.training,
      },
      intended: { modality: e.modality, bodyPart: 'HEAD', notes: e.notes },
      model: { ...m.model, sha256: sha(r.onnx) },
      ...(existsSync(join(out, e.id, 'report.json')) ? { report: 'report.json' } : {}),
    };
    files[`${e.id}/${m.model.file}`] = r.onnx;
    files[`${e.id}/manifest.json`] = JSON.stringify(manifest, null, 2) + '\n';
    files[`${e.id}/LICENSE`] = license;
  }
  return files;
}

/** Ids of the brain models already in static/models (used when the zoo is missing). */
export function committedBrainModels(out: string): string[] {
  return BRAIN_MODELS.map((e) => e.id).filter((id) => existsSync(join(out, id, 'manifest.json')));
}
