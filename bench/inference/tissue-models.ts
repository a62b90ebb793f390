/**
 * The tissue-accuracy rows of the inference bench: which brain tissue (grey/white matter) models
 * run on which real T1, scored against which truth. Shared by the harness (`tissue.ts`) and its
 * child (`tissue-child.ts`). Paths are relative to ../shared/data.
 */
import type { Vec3 } from '../../src/core/types';

/** Real skull-stripped T1, 142x178x142, 1 mm, slightly oblique. */
export const TISSUE_INPUT = 'nifti/mr/bet.nii.gz';
/** FSL FAST partial-volume maps of TISSUE_INPUT (uint8, scl_slope 1/255). */
export const TISSUE_TRUTH = { wm: 'labels/fsl-fast/pve_2_wm.nii.gz', gm: 'labels/fsl-fast/pve_1_gm.nii.gz' };

export type TissueModel =
  | {
      id: string;
      kind: 'brainchop';
      /** Folder under models/brainchop-tfjs. */
      folder: string;
      /** Entry of models-list.json whose preprocessing (transpose, crop, normalization) is used. */
      settingsId: number;
      /** Colormap (path under models/brainchop-tfjs) to take the labels from when the folder has none for a 3-class segmentation. */
      borrowColormap?: string;
      /** The bundled model (static/models/<id>) that is this conversion: run from its committed files. */
      bundled?: string;
      about: string;
    }
  | { id: string; kind: 'onnx'; onnx: string; manifest: string; about: string };

export const TISSUE_MODELS: TissueModel[] = [
  {
    id: 'model5_gw_ae',
    kind: 'brainchop',
    folder: 'model5_gw_ae',
    settingsId: 1,
    bundled: 'brainchop-tissue-light',
    about: 'bundled brainchop-tissue-light: brainchop "Tissue GWM (light)", list entry 1',
  },
  {
    id: 'model20chan3cls',
    kind: 'brainchop',
    folder: 'model20chan3cls',
    settingsId: 2,
    bundled: 'brainchop-tissue',
    about: 'bundled brainchop-tissue: brainchop "Tissue GWM (High Acc)", list entry 2',
  },
  {
    id: 'model11_gw_ae',
    kind: 'brainchop',
    folder: 'model11_gw_ae',
    settingsId: 11,
    borrowColormap: 'model5_gw_ae/colormap3.json',
    about:
      "brainchop lists it only for brain extraction (entry 11, its 3 classes binarised); run here as a 3-class tissue model with entry 11's preprocessing and model5_gw_ae's colormap3 labels",
  },
  {
    id: 'meshnet-gwm',
    kind: 'onnx',
    onnx: 'models/meshnet-gwm/model.onnx',
    manifest: 'tests/fixtures/models/meshnet-gwm.manifest.json',
    about:
      "niivue-onnx export of model5_gw_ae's weights with the fixture manifest (no head crop): a cross-check of the converter",
  },
];

/** One model's run and scores (the child's stdout line). */
export interface TissueRun {
  id: string;
  manifestId: string;
  name: string;
  normalization: string;
  /** Head-crop padding (voxels), null when the manifest does not crop. */
  crop: number | null;
  /** Label value and name used for each class. */
  wmLabel: string;
  gmLabel: string;
  dims: Vec3;
  wmDice: number;
  gmDice: number;
  wmModel: number;
  wmFast: number;
  gmModel: number;
  gmFast: number;
  /** Distance between the world-mm centroids of the model's and FAST's masks (alignment check). */
  wmCentroidMm: number;
  gmCentroidMm: number;
  /** The ±1-voxel shift [di, dj, dk] of the model's WM mask with the best WM Dice ([0, 0, 0] when aligned). */
  wmBestShift: Vec3;
  gmBestShift: Vec3;
  truthResampled: boolean;
  /** Wall seconds: model check, ONNX session, conform, crop, normalize, model, argmax, labels back. */
  seconds: number;
  modelSeconds: number;
  cpuSeconds: number;
  /** tfjs → ONNX conversion (outside the clock). */
  convertSeconds: number;
  modelGrid: Vec3;
  threads: number;
  notes: string[];
}
