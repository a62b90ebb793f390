"""
Writes real nnU-Net v2 result folders with random weights:
  DIR/DatasetNNN_Name/<Trainer>__<Plans>__<configuration>/{plans.json, dataset.json, fold_K/checkpoint_*.pth}
and optionally DIR/DatasetNNN_Name.zip (deflated, the Dataset folder at the top, like the
published weight zips).

The checkpoint dict has the keys of nnUNetTrainer.save_checkpoint: network_weights (the
network's state_dict, duplicated registrations included), optimizer_state (a real SGD state
after one step: momentum 0.99, nesterov, weight decay 3e-5, with the poly schedule's
`initial_lr`), grad_scaler_state (the dict a CUDA GradScaler returns), logging (nnUNetLogger's
lists: numpy float64 Dice/EMA, numpy float32 losses, python floats for learning rates and
timestamps), _best_ema (numpy float64), current_epoch, init_args (plans, configuration, fold,
dataset_json, unpack_dataset, device; `logger: None` in the current schema, whose trainer has
that argument), trainer_name, inference_allowed_mirroring_axes ((0, 1, 2), or None for a
trainer whose name says NoMirroring, like TotalSegmentator's). It is written with torch.save.

Weights: nnU-Net's He init (kaiming normal, a=0.01) for every conv and transposed conv, then
conv biases ~ N(0, 0.1), instance-norm weight ~ U(0.5, 1.5) and bias ~ N(0, 0.1) so no layer
is an identity; the segmentation heads are scaled by SEG_SCALE and get a bias ~ N(0, SEG_BIAS)
so the classes are well separated (see `top2_margin`). Every fold has its own seed.
"""
import json
import math
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .cases import CASES
from .plans import build_network

SEG_SCALE = 4.0
SEG_BIAS = 0.5
EPOCHS = 50


# ---------------------------------------------------------------- plans / dataset.json

def _arch_new(case, dim=3):
    conv = "Conv3d" if dim == 3 else "Conv2d"
    norm = "InstanceNorm3d" if dim == 3 else "InstanceNorm2d"
    blocks = "n_blocks_per_stage" if case["network"].endswith("ResidualEncoderUNet") else "n_conv_per_stage"
    return {
        "network_class_name": case["network"],
        "arch_kwargs": {
            "n_stages": len(case["features"]), "features_per_stage": case["features"],
            "conv_op": f"torch.nn.modules.conv.{conv}", "kernel_sizes": case["kernels"], "strides": case["strides"],
            blocks: case["n_conv"], "n_conv_per_stage_decoder": case["n_conv_decoder"], "conv_bias": True,
            "norm_op": f"torch.nn.modules.instancenorm.{norm}", "norm_op_kwargs": {"eps": 1e-05, "affine": True},
            "dropout_op": None, "dropout_op_kwargs": None,
            "nonlin": "torch.nn.LeakyReLU", "nonlin_kwargs": {"inplace": True},
        },
        "_kw_requires_import": ["conv_op", "norm_op", "dropout_op", "nonlin"],
    }


def _arch_old(case):
    base = case["features"][0]
    return {
        "UNet_class_name": case["network"].split(".")[-1], "UNet_base_num_features": base,
        "n_conv_per_stage_encoder": case["n_conv"], "n_conv_per_stage_decoder": case["n_conv_decoder"],
        "num_pool_per_axis": [sum(1 for s in case["strides"] if s[a] == 2) for a in range(len(case["strides"][0]))],
        "pool_op_kernel_sizes": case["strides"], "conv_kernel_sizes": case["kernels"],
        "unet_max_num_features": max(case["features"]),
    }


def _resampling():
    def kw(is_seg, order):
        return {"is_seg": is_seg, "order": order, "order_z": 0, "force_separate_z": None}
    return {"resampling_fn_data": "resample_data_or_seg_to_shape", "resampling_fn_seg": "resample_data_or_seg_to_shape",
            "resampling_fn_data_kwargs": kw(False, 3), "resampling_fn_seg_kwargs": kw(True, 1),
            "resampling_fn_probabilities": "resample_data_or_seg_to_shape",
            "resampling_fn_probabilities_kwargs": kw(False, 1)}


def _configuration(case, schema, name, patch, spacing, median, batch_size, batch_dice):
    cfg = {"data_identifier": f"{case['plans_name']}_{name}", "preprocessor_name": "DefaultPreprocessor",
           "batch_size": batch_size, "patch_size": patch, "median_image_size_in_voxels": median, "spacing": spacing,
           "normalization_schemes": [case.get("normalization", "CTNormalization")],
           "use_mask_for_norm": [case.get("use_mask_for_norm", False)]}
    if schema == "old":
        cfg.update(_arch_old(case))
        cfg.update(_resampling())
    else:
        cfg.update(_resampling())
        cfg["architecture"] = _arch_new(case, dim=len(patch))
    cfg["batch_dice"] = batch_dice
    return cfg


def _case_2d(case):
    """A plausible 2d configuration beside the 3-D ones (real plans always have one)."""
    n = 7
    return dict(case, features=[min(32 * 2 ** i, 512) for i in range(n)], kernels=[[3, 3]] * n,
                strides=[[1, 1]] + [[2, 2]] * (n - 1), n_conv=[2] * n if case["n_conv"][0] != 1 else [1, 3, 4, 6, 6, 6, 6],
                n_conv_decoder=[2] * (n - 1) if case["n_conv_decoder"][0] != 1 else [1] * (n - 1))


def make_plans(case, schema, configuration="3d_fullres", spacing=None, patch=None, transpose=None):
    spacing = list(spacing or case["spacing"])
    patch = list(patch or case["patch"])
    median = [float(m) for m in case["median_shape"]]
    transpose = list(transpose or [0, 1, 2])
    backward = [int(i) for i in np.argsort(transpose)]
    configs = {"2d": _configuration(_case_2d(case), schema, "2d", patch[1:], spacing[1:], median[1:], 12, True)}
    if case["lowres"]:
        low_spacing = [s * 2 for s in spacing]
        low = _configuration(case, schema, "3d_lowres", patch, low_spacing,
                             [int(round(m / 2)) for m in median], 2, False)
        low["next_stage"] = "3d_cascade_fullres"
        configs["3d_lowres"] = low
    configs["3d_fullres"] = _configuration(case, schema, "3d_fullres", patch, spacing, median, 2, True)
    if case["lowres"]:
        configs["3d_cascade_fullres"] = {"inherits_from": "3d_fullres", "previous_stage": "3d_lowres"}
    if configuration != "3d_fullres":
        configs[configuration] = {"inherits_from": "3d_fullres", "batch_size": 4}
    return {
        "dataset_name": case["dataset"], "plans_name": case["plans_name"],
        "original_median_spacing_after_transp": spacing, "original_median_shape_after_transp": case["median_shape"],
        "image_reader_writer": "SimpleITKIO", "transpose_forward": transpose, "transpose_backward": backward,
        "configurations": configs, "experiment_planner_used": case["planner"], "label_manager": "LabelManager",
        "foreground_intensity_properties_per_channel": {"0": dict(case["intensity"])},
    }


def make_dataset_json(case):
    channel = "CT" if case.get("normalization", "CTNormalization") == "CTNormalization" else "MRI"
    return {"channel_names": {"0": channel}, "labels": dict(case["labels"]), "numTraining": 100,
            "file_ending": ".nii.gz", "name": case["dataset"].split("_", 1)[1],
            "description": "voxseg test fixture with random weights; shapes from real nnU-Net plans"}


# ---------------------------------------------------------------- weights and checkpoint

def randomize(net, gen):
    def normal(t, std):
        with torch.no_grad():
            t.copy_(torch.randn(t.shape, generator=gen) * std)

    seg_layers = set(net.decoder.seg_layers)
    for m in net.modules():
        if isinstance(m, (nn.Conv3d, nn.ConvTranspose3d)):
            fan_in = nn.init._calculate_fan_in_and_fan_out(m.weight)[0]
            gain = math.sqrt(2.0 / (1 + 0.01 ** 2))
            scale = SEG_SCALE if m in seg_layers else 1.0
            normal(m.weight, scale * gain / math.sqrt(fan_in))
            if m.bias is not None:
                normal(m.bias, SEG_BIAS if m in seg_layers else 0.1)
        elif isinstance(m, nn.InstanceNorm3d):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            normal(m.bias, 0.1)


def total_stride(case):
    return [int(np.prod([s[a] for s in case["strides"]])) for a in range(3)]


def small_input_size(case):
    """The smallest input whose bottleneck still has 2 voxels (instance norm needs more than 1)."""
    return [s * (2 if a == 0 else 1) for a, s in enumerate(total_stride(case))]


def one_sgd_step(net, case, gen, lr):
    """A real optimizer state: one SGD step with deep supervision on a small random batch."""
    opt = torch.optim.SGD(net.parameters(), lr, weight_decay=3e-5, momentum=0.99, nesterov=True)
    for g in opt.param_groups:
        g["initial_lr"] = 1e-2  # set by nnU-Net's PolyLRScheduler
    x = torch.randn([1, 1] + small_input_size(case), generator=gen)
    net.train()
    net.decoder.deep_supervision = True
    outs = net(x)
    loss = 0
    for out in outs:
        target = torch.randint(0, out.shape[1], (out.shape[0],) + tuple(out.shape[2:]), generator=gen)
        loss = loss + nn.functional.cross_entropy(out, target)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(net.parameters(), 12)
    opt.step()
    net.decoder.deep_supervision = False
    net.eval()
    return opt, float(loss.detach())


def training_log(epochs, n_fg, rng, first_loss):
    log = {k: [] for k in ("mean_fg_dice", "ema_fg_dice", "dice_per_class_or_region", "train_losses", "val_losses",
                           "lrs", "epoch_start_timestamps", "epoch_end_timestamps", "epoch_times_sec")}
    t = time.time() - epochs * 90.0
    for e in range(epochs):
        progress = (e + 1) / epochs
        dice = [np.float64(min(0.98, 0.2 + 0.7 * progress + rng.normal(0, 0.03))) for _ in range(n_fg)]
        mean = np.float64(np.nanmean(dice))
        log["dice_per_class_or_region"].append(dice)
        log["mean_fg_dice"].append(mean)
        log["ema_fg_dice"].append(mean if e == 0 else log["ema_fg_dice"][-1] * 0.9 + 0.1 * mean)
        log["train_losses"].append(np.float32(first_loss * (1 - 0.8 * progress) - 0.5))
        log["val_losses"].append(np.float32(first_loss * (1 - 0.75 * progress) - 0.45))
        log["lrs"].append(1e-2 * (1 - e / epochs) ** 0.9)
        log["epoch_start_timestamps"].append(t)
        t += 85.0 + rng.uniform(0, 10)
        log["epoch_end_timestamps"].append(t)
        log["epoch_times_sec"].append(log["epoch_end_timestamps"][-1] - log["epoch_start_timestamps"][-1])
        t += 1.0
    return log


def checkpoint(case, schema, plans, dataset_json, configuration, fold, seed, trainer, which):
    gen = torch.Generator().manual_seed(seed * 1000 + fold)
    rng = np.random.default_rng(seed * 1000 + fold)
    net = build_network(plans, configuration, dataset_json)
    randomize(net, gen)
    final_lr = 1e-2 * (1 - (EPOCHS - 1) / EPOCHS) ** 0.9
    opt, loss = one_sgd_step(net, case, gen, final_lr)
    log = training_log(EPOCHS, len(case["labels"]) - 1, rng, loss)
    if which == "best":
        best = int(np.argmax(log["ema_fg_dice"]))
        log = {k: v[:best + 1] for k, v in log.items()}
        epoch = best + 1
    else:
        epoch = EPOCHS
    if schema == "old":
        log.pop("epoch_times_sec")
    init_args = {"plans": plans, "configuration": configuration, "fold": fold, "dataset_json": dataset_json,
                 "unpack_dataset": True, "device": torch.device("cpu")}
    if schema == "new":
        init_args["logger"] = None
    ckpt = {
        "network_weights": net.state_dict(),
        "optimizer_state": opt.state_dict(),
        "grad_scaler_state": {"scale": 32768.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                              "growth_interval": 2000, "_growth_tracker": int(rng.integers(0, 2000))},
        "logging": log,
        "_best_ema": np.float64(max(log["ema_fg_dice"])),
        "current_epoch": epoch,
        "init_args": init_args,
        "trainer_name": trainer,
        "inference_allowed_mirroring_axes": None if "NoMirroring" in trainer else (0, 1, 2),
    }
    return ckpt, net


def top2_margin(net, case, gen):
    """Median and 1st percentile of (largest - second largest logit) on a random input."""
    with torch.no_grad():
        y = net(torch.randn([1, 1] + small_input_size(case), generator=gen))
    top = torch.topk(y, 2, dim=1).values
    m = (top[:, 0] - top[:, 1]).flatten().numpy()
    return {"median": float(np.median(m)), "p01": float(np.percentile(m, 1)),
            "below_1e-3": float(np.mean(m < 1e-3))}


def make_case(name, schema, out, folds=(0,), seed=0, zip_it=False, which="final", trainer="nnUNetTrainer",
              configuration="3d_fullres", spacing=None, patch=None, transpose=None, normalization=None,
              use_mask_for_norm=False):
    case = dict(CASES[name])
    if normalization:
        case.update(normalization=normalization, use_mask_for_norm=use_mask_for_norm)
    plans = make_plans(case, schema, configuration, spacing, patch, transpose)
    dataset_json = make_dataset_json(case)
    dataset_dir = Path(out) / case["dataset"]
    folder = dataset_dir / f"{trainer}__{case['plans_name']}__{configuration}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "plans.json").write_text(json.dumps(plans, indent=4))
    (folder / "dataset.json").write_text(json.dumps(dataset_json, indent=4))
    margin = None
    for fold in folds:
        for w in (["final", "best"] if which == "both" else [which]):
            ckpt, net = checkpoint(case, schema, plans, dataset_json, configuration, fold, seed, trainer, w)
            (folder / f"fold_{fold}").mkdir(exist_ok=True)
            torch.save(ckpt, folder / f"fold_{fold}" / f"checkpoint_{w}.pth")
            if margin is None:
                margin = top2_margin(net, case, torch.Generator().manual_seed(seed))
    zip_path = None
    if zip_it:
        zip_path = Path(out) / f"{case['dataset']}.zip"
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file():
                    z.write(f, f.relative_to(Path(out)).as_posix())
    return {"folder": str(folder), "zip": str(zip_path) if zip_path else None, "top2_margin": margin}
