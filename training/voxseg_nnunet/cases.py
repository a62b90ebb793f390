"""
The fixture cases: network shapes, spacings and intensity statistics taken from real published
nnU-Net v2 plans files (sources below), with small label sets.

Sources (GitHub repository + path, configuration used):
- cemmacabales/nnunetv2_3DKidney, nnUNetPlans.json, 3d_fullres: PlainConvUNet, 6 stages 32-64-128-256-
  320-320, all kernels 3x3x3, strides 1,2,2,2,2,2, 2 convs per stage, patch 128^3 -> `plain-iso`'s
  network (its CT foreground statistics -> `tiny`).
- Usamakhan843/3D-Lung-Tumor-Segmentation-with-nnU-Net, nnUNetPlans.json: current schema with
  2d / 3d_lowres (next_stage) / 3d_fullres / 3d_cascade_fullres (inherits_from, previous_stage);
  its CT foreground statistics (window -1024..311 HU) -> `plain-iso`. `plain-iso`'s spacing, 3 mm
  isotropic, is TotalSegmentator's fast (3 mm) model's.
- PengchengShi1220/NexToU, nnUNetPlans.json, 3d_fullres (early-v2 schema, UNet_class_name ...):
  PlainConvUNet, patch 64x192x160, kernels [1,3,3] then [3,3,3] x5, strides [1,1,1], [1,2,2],
  [2,2,2] x4 -> `plain-aniso`'s network.
- aitechlabcn/neUNet, nnUNetPlans.json (Dataset066_BTCV): spacing 3.0 x 0.7578 x 0.7578 mm and CT
  foreground statistics -> `plain-aniso` (BTCV organ names).
- davidguo123456/pancreas-cancer-segmentation, nnUNetResEncUNetMPlans.json, 3d_fullres
  (planner nnUNetPlannerResEncM): ResidualEncoderUNet, n_blocks_per_stage 1,3,4,6,6,6, decoder
  1,1,1,1,1, widths 32..320, kernels [1,3,3] then [3,3,3], strides [1,1,1], [1,2,2], [2,2,2] x4,
  patch 64x128x192, spacing 2.0 x 0.7305 x 0.7305, CT statistics -> `resenc-m` (that file names a
  custom subclass; the standard class name is written instead).
- MIC-DKFZ/nnUNet documentation/resenc_presets.md: the M/L/XL presets and their plans names.
- TotalSegmentator's class map (shared test data, class_map_total.json) and its fast-model
  dataset folder name Dataset297_TotalSegmentator_total_3mm_1559subj -> `tiny-totalseg`.
`tiny` / `tiny-totalseg` are voxseg's own small networks for fast browser tests.
`total-3mm` (the benchmark's stand-in for TotalSegmentator's fast model): `plain-iso`'s network and
spacing with that dataset folder name and all 117 classes of class_map_total.json (118 output
channels), so the import adds TotalSegmentator's own steps; the real model's plans are not copied.
"""

PLAIN = "dynamic_network_architectures.architectures.unet.PlainConvUNet"
RESENC = "dynamic_network_architectures.architectures.unet.ResidualEncoderUNet"

CT_LUNG_DATASET006 = {"max": 2671.0, "mean": -273.4598388671875, "median": -162.0, "min": -1024.0,
                      "percentile_00_5": -1024.0, "percentile_99_5": 311.0, "std": 346.9496765136719}
CT_KIDNEY_DATASET500 = {"max": 3071.0, "mean": 89.35912322998047, "median": 82.0, "min": -1023.0,
                        "percentile_00_5": -64.0, "percentile_99_5": 296.0, "std": 76.17621612548828}
CT_BTCV_DATASET066 = {"max": 3071.0, "mean": 80.92587280273438, "median": 96.0, "min": -1024.0,
                      "percentile_00_5": -962.0, "percentile_99_5": 319.0, "std": 140.94772338867188}
CT_PANCREAS_DATASET011 = {"max": 1929.0, "mean": 74.89175415039062, "median": 78.01163482666016, "min": -319.0,
                          "percentile_00_5": -55.99610900878906, "percentile_99_5": 179.97802734375,
                          "std": 44.09819793701172}

TOTALSEG_FIRST8 = ["background", "spleen", "kidney_right", "kidney_left", "gallbladder", "liver", "stomach",
                   "pancreas"]


def _labels(names):
    return {name: i for i, name in enumerate(names)}


def _sides(*names):
    return [f"{n}_{side}" for n in names for side in ("left", "right")]


# The 117 classes of TotalSegmentator v2's "total" task, in class_map_total.json's order (1..117).
TOTALSEG_TOTAL = (
    ["spleen", "kidney_right", "kidney_left", "gallbladder", "liver", "stomach", "pancreas", "adrenal_gland_right",
     "adrenal_gland_left", "lung_upper_lobe_left", "lung_lower_lobe_left", "lung_upper_lobe_right",
     "lung_middle_lobe_right", "lung_lower_lobe_right", "esophagus", "trachea", "thyroid_gland", "small_bowel",
     "duodenum", "colon", "urinary_bladder", "prostate", "kidney_cyst_left", "kidney_cyst_right", "sacrum",
     "vertebrae_S1"]
    + [f"vertebrae_L{n}" for n in range(5, 0, -1)] + [f"vertebrae_T{n}" for n in range(12, 0, -1)]
    + [f"vertebrae_C{n}" for n in range(7, 0, -1)]
    + ["heart", "aorta", "pulmonary_vein", "brachiocephalic_trunk", "subclavian_artery_right",
       "subclavian_artery_left", "common_carotid_artery_right", "common_carotid_artery_left",
       "brachiocephalic_vein_left", "brachiocephalic_vein_right", "atrial_appendage_left", "superior_vena_cava",
       "inferior_vena_cava", "portal_vein_and_splenic_vein", "iliac_artery_left", "iliac_artery_right",
       "iliac_vena_left", "iliac_vena_right"]
    + _sides("humerus", "scapula", "clavicula", "femur", "hip") + ["spinal_cord"]
    + _sides("gluteus_maximus", "gluteus_medius", "gluteus_minimus", "autochthon", "iliopsoas")
    + ["brain", "skull"] + [f"rib_left_{n}" for n in range(1, 13)] + [f"rib_right_{n}" for n in range(1, 13)]
    + ["sternum", "costal_cartilages"])


CASES = {
    "plain-iso": dict(
        dataset="Dataset601_AbdomenCT3mm", plans_name="nnUNetPlans", network=PLAIN,
        features=[32, 64, 128, 256, 320, 320], kernels=[[3, 3, 3]] * 6,
        strides=[[1, 1, 1]] + [[2, 2, 2]] * 5, n_conv=[2] * 6, n_conv_decoder=[2] * 5,
        patch=[128, 128, 128], spacing=[3.0, 3.0, 3.0], median_shape=[143, 170, 170],
        intensity=CT_LUNG_DATASET006, planner="ExperimentPlanner", lowres=True,
        labels=_labels(["background", "liver", "spleen", "kidney_right", "kidney_left", "aorta"])),
    "plain-aniso": dict(
        dataset="Dataset066_BTCV", plans_name="nnUNetPlans", network=PLAIN,
        features=[32, 64, 128, 256, 320, 320], kernels=[[1, 3, 3]] + [[3, 3, 3]] * 5,
        strides=[[1, 1, 1], [1, 2, 2]] + [[2, 2, 2]] * 4, n_conv=[2] * 6, n_conv_decoder=[2] * 5,
        patch=[64, 192, 160], spacing=[3.0, 0.7578124403953552, 0.7578124403953552], median_shape=[148, 512, 512],
        intensity=CT_BTCV_DATASET066, planner="ExperimentPlanner", lowres=True,
        labels=_labels(["background", "spleen", "right_kidney", "left_kidney", "gallbladder", "esophagus", "liver",
                        "stomach"])),
    "resenc-m": dict(
        dataset="Dataset011_Pancreas", plans_name="nnUNetResEncUNetMPlans", network=RESENC,
        features=[32, 64, 128, 256, 320, 320], kernels=[[1, 3, 3]] + [[3, 3, 3]] * 5,
        strides=[[1, 1, 1], [1, 2, 2]] + [[2, 2, 2]] * 4, n_conv=[1, 3, 4, 6, 6, 6], n_conv_decoder=[1] * 5,
        patch=[64, 128, 192], spacing=[2.0, 0.73046875, 0.73046875], median_shape=[59, 118, 181],
        intensity=CT_PANCREAS_DATASET011, planner="nnUNetPlannerResEncM", lowres=False,
        labels=_labels(["background", "pancreas", "tumor", "cyst"])),
    "tiny": dict(
        dataset="Dataset900_TinyCT", plans_name="nnUNetPlans", network=PLAIN,
        features=[4, 8, 16], kernels=[[3, 3, 3]] * 3, strides=[[1, 1, 1], [2, 2, 2], [2, 2, 2]],
        n_conv=[2] * 3, n_conv_decoder=[2] * 2, patch=[32, 32, 32], spacing=[3.0, 3.0, 3.0],
        median_shape=[112, 101, 122], intensity=CT_KIDNEY_DATASET500, planner="ExperimentPlanner", lowres=False,
        labels=_labels(["background", "liver", "spleen"])),
    "tiny-totalseg": dict(
        dataset="Dataset297_TotalSegmentator_total_3mm_1559subj", plans_name="nnUNetPlans", network=PLAIN,
        features=[4, 8, 16], kernels=[[3, 3, 3]] * 3, strides=[[1, 1, 1], [2, 2, 2], [2, 2, 2]],
        n_conv=[2] * 3, n_conv_decoder=[2] * 2, patch=[32, 32, 32], spacing=[3.0, 3.0, 3.0],
        median_shape=[112, 101, 122], intensity=CT_KIDNEY_DATASET500, planner="ExperimentPlanner", lowres=False,
        labels=_labels(TOTALSEG_FIRST8)),
}
CASES["total-3mm"] = dict(CASES["plain-iso"], dataset="Dataset297_TotalSegmentator_total_3mm_1559subj",
                          labels=_labels(["background"] + TOTALSEG_TOTAL))
