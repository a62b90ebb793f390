"""
A reference predictor written from nnU-Net v2's algorithm with numpy/scipy/torch (no nnU-Net).

Followed, by name (nnunetv2):
- imageio.simpleitk_reader_writer.SimpleITKIO.read_images: the array is SimpleITK's, i.e. the
  file's voxel order with axes reversed (z, y, x), spacing reversed too. Here: nibabel data
  transposed (2, 1, 0), spacing = header zooms reversed. Assumption: SimpleITK's spacing equals
  the NIfTI pixdim (true for the usual files whose sform/qform columns have pixdim lengths).
- preprocessing.preprocessors.default_preprocessor.DefaultPreprocessor.run_case_npy: float32,
  transpose_forward (data and spacing), crop_to_nonzero, compute_new_shape, normalization BEFORE
  resampling, resampling_fn_data with resampling_fn_data_kwargs.
- preprocessing.cropping.cropping.crop_to_nonzero / create_nonzero_mask: mask = any channel != 0,
  scipy binary_fill_holes, bounding box [min, max + 1) per axis (the whole image when the mask is
  empty); the "seg" holds -1 outside the mask, 0 inside (used by ZScore with use_mask_for_norm).
- preprocessing.normalization.default_normalization_schemes: CTNormalization (clip to
  percentile_00_5..percentile_99_5, minus mean, over max(std, 1e-8)), ZScoreNormalization (with or
  without the mask), NoNormalization, RescaleTo01Normalization; float32 arithmetic.
- inference.predict_from_raw_data.nnUNetPredictor: pad_nd_image to at least the patch (constant 0,
  the extra voxel of an odd padding goes after), compute_steps_for_sliding_window, slicers in
  x-y-z loop order, Gaussian importance map (compute_gaussian: delta filtered with sigma
  patch/8, mode constant, divided by its max, times 10, zeros replaced by the smallest nonzero
  value), logits * gaussian accumulated, divided by the accumulated gaussian, padding cropped;
  _internal_maybe_mirror_and_predict (all non-empty combinations of the allowed axes, averaged
  with the plain prediction); folds: logits of each fold's full sliding window summed then
  divided by the number of folds (predict_logits_from_preprocessed_data).
- inference.export_prediction.convert_predicted_logits_to_segmentation_with_correct_shape:
  resampling_fn_probabilities (current spacing = configuration spacing, new spacing = the image's
  transposed spacing, kwargs from the plans) to the cropped shape, softmax + argmax, uint8 label
  map put back into the bounding box, transpose_backward; written with the input's affine.
Deliberate differences: nnU-Net accumulates the logits and the Gaussian in float16 on the GPU
(and hands float16 logits to the export resampling); this reference uses float32 throughout.
`half_gaussian=True` rounds the Gaussian map through float16 as nnU-Net's compute_gaussian does
(its smallest values underflow to the smallest float16 subnormal, which changes the weights only
where all covering tiles are at their corners).
"""
import itertools
import json
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from scipy import ndimage

from .plans import ResultFolder
from .resampling import compute_new_shape, resample_to_shape


# ---------------------------------------------------------------- reading and preprocessing

def read_like_sitk(path):
    img = nib.load(str(path))
    arr = np.asanyarray(img.dataobj)
    if arr.ndim != 3:
        raise ValueError(f"{path}: expected a 3-D image, got shape {arr.shape}")
    data = arr.transpose(2, 1, 0)[None]
    spacing = [float(z) for z in img.header.get_zooms()[:3]][::-1]
    return data, spacing, img


def crop_to_nonzero(data):
    mask = np.zeros(data.shape[1:], dtype=bool)
    for c in range(data.shape[0]):
        mask |= data[c] != 0
    mask = ndimage.binary_fill_holes(mask)
    bbox = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        hit = np.where(np.any(mask, axis=other))[0]
        bbox.append([int(hit[0]), int(hit[-1]) + 1] if len(hit) else [0, mask.shape[axis]])
    sl = tuple(slice(a, b) for a, b in bbox)
    seg = np.where(mask[sl], 0, -1).astype(np.int8)[None]
    return data[(slice(None),) + sl], seg, bbox


def normalize(data, seg, config, plans):
    for c in range(data.shape[0]):
        scheme = config["normalization_schemes"][c]
        use_mask = config["use_mask_for_norm"][c]
        props = plans["foreground_intensity_properties_per_channel"].get(str(c))
        img = data[c].astype(np.float32, copy=False)
        if scheme == "CTNormalization":
            np.clip(img, props["percentile_00_5"], props["percentile_99_5"], out=img)
            img -= props["mean"]
            img /= max(props["std"], 1e-8)
        elif scheme == "ZScoreNormalization":
            if use_mask:
                mask = seg[0] >= 0
                mean, std = img[mask].mean(), img[mask].std()
                img[mask] = (img[mask] - mean) / max(std, 1e-8)
            else:
                mean, std = img.mean(), img.std()
                img -= mean
                img /= max(std, 1e-8)
        elif scheme == "RescaleTo01Normalization":
            img -= img.min()
            img /= np.clip(img.max(), a_min=1e-8, a_max=None)
        elif scheme != "NoNormalization":
            raise ValueError(f"normalization {scheme} is not implemented in the reference")
        data[c] = img
    return data


# ---------------------------------------------------------------- sliding window

def compute_steps(image_size, tile_size, step):
    targets = [t * step for t in tile_size]
    num = [int(np.ceil((i - t) / s)) + 1 for i, s, t in zip(image_size, targets, tile_size)]
    steps = []
    for d in range(len(tile_size)):
        max_step = image_size[d] - tile_size[d]
        actual = max_step / (num[d] - 1) if num[d] > 1 else 99999999999
        steps.append([int(np.round(actual * i)) for i in range(num[d])])
    return steps


def gaussian_map(tile_size, half=False):
    tmp = np.zeros(tile_size)
    tmp[tuple(t // 2 for t in tile_size)] = 1
    g = ndimage.gaussian_filter(tmp, [t / 8 for t in tile_size], 0, mode="constant", cval=0)
    g = g / np.max(g) * 10
    g = g.astype(np.float16 if half else np.float32)
    g[g == 0] = np.min(g[g != 0])
    return torch.from_numpy(g.astype(np.float32))


def pad_to_patch(data, patch):
    shape = np.array(data.shape[1:])
    new = np.maximum(shape, patch)
    diff = new - shape
    below = diff // 2
    pad = [(0, 0)] + [(int(b), int(d - b)) for b, d in zip(below, diff)]
    padded = np.pad(data, pad, mode="constant", constant_values=0)
    crop = tuple(slice(int(b), int(b + s)) for b, s in zip(below, shape))
    return padded, crop


def mirrored_prediction(net, x, axes):
    pred = net(x)
    if axes:
        combos = [c for i in range(len(axes)) for c in itertools.combinations([a + 2 for a in axes], i + 1)]
        for dims in combos:
            pred += torch.flip(net(torch.flip(x, dims)), dims)
        pred /= len(combos) + 1
    return pred


@torch.no_grad()
def sliding_window(nets, data, patch, step, mirror_axes, half_gaussian=False):
    """data (c, z, y, x) float32 -> fold-averaged logits (classes, z, y, x) float32, plus tile info."""
    padded, crop = pad_to_patch(data, patch)
    steps = compute_steps(padded.shape[1:], patch, step)
    gaussian = gaussian_map(tuple(patch), half_gaussian)
    x = torch.from_numpy(np.ascontiguousarray(padded))
    total = None
    for net in nets:
        logits = None
        weight = torch.zeros(padded.shape[1:], dtype=torch.float32)
        for sz in steps[0]:
            for sy in steps[1]:
                for sx in steps[2]:
                    sl = (slice(sz, sz + patch[0]), slice(sy, sy + patch[1]), slice(sx, sx + patch[2]))
                    pred = mirrored_prediction(net, x[(slice(None),) + sl][None], mirror_axes)[0]
                    if logits is None:
                        logits = torch.zeros((pred.shape[0],) + padded.shape[1:], dtype=torch.float32)
                    logits[(slice(None),) + sl] += pred * gaussian
                    weight[sl] += gaussian
        logits /= weight
        total = logits if total is None else total + logits
    if len(nets) > 1:
        total /= len(nets)
    info = {"padded_shape": list(padded.shape[1:]), "steps": steps,
            "tiles": int(np.prod([len(s) for s in steps]))}
    return total[(slice(None),) + crop].numpy(), info


# ---------------------------------------------------------------- whole prediction

def predict_file(model, folds, image, out, checkpoint="final", step=0.5, mirror=False, logits_out=None,
                 half_gaussian=False):
    rf = ResultFolder(model)
    nets, meta = rf.networks(folds, checkpoint)
    plans, config = rf.plans, rf.config(meta["configuration"])
    tf = plans["transpose_forward"]

    raw, spacing, img = read_like_sitk(image)
    data = raw.astype(np.float32).transpose([0, *[i + 1 for i in tf]])
    spacing_t = [spacing[i] for i in tf]
    shape_before_crop = data.shape[1:]
    data, seg, bbox = crop_to_nonzero(data)
    shape_after_crop = data.shape[1:]
    target = config["spacing"]
    new_shape = compute_new_shape(shape_after_crop, spacing_t, target)
    data = normalize(data, seg, config, plans)
    data, rs_in = resample_to_shape(data, new_shape, spacing_t, target, **config["resampling_fn_data_kwargs"])

    axes = meta["mirror_axes"] if mirror else None
    logits, tiles = sliding_window(nets, data, config["patch_size"], step, axes, half_gaussian)
    if logits_out:
        logits.astype("<f4").tofile(logits_out)

    back, rs_out = resample_to_shape(logits, shape_after_crop, target, spacing_t,
                                     **config["resampling_fn_probabilities_kwargs"])
    probs = torch.softmax(torch.from_numpy(np.ascontiguousarray(back)), 0)
    labels = probs.argmax(0).numpy().astype(np.uint8)
    full = np.zeros(shape_before_crop, dtype=np.uint8)
    full[tuple(slice(a, b) for a, b in bbox)] = labels
    full = full.transpose(plans["transpose_backward"])

    seg_img = nib.Nifti1Image(full.transpose(2, 1, 0), img.affine)
    seg_img.header.set_zooms(img.header.get_zooms()[:3])
    seg_img.header.set_qform(img.affine, int(img.header["qform_code"]) or 1)
    seg_img.header.set_sform(img.affine, int(img.header["sform_code"]) or 1)
    nib.save(seg_img, str(out))

    counts = np.bincount(full.ravel(), minlength=logits.shape[0])
    return {
        "image_shape_zyx": list(raw.shape[1:]), "spacing_zyx": spacing, "bbox": bbox,
        "shape_after_crop": list(shape_after_crop), "model_shape": [int(s) for s in new_shape],
        "model_spacing": target, "resample_in": rs_in, "resample_out": rs_out, **tiles,
        "logits_shape": list(logits.shape), "folds": len(nets), "mirror_axes": list(axes) if axes else None,
        "voxels_per_label": {int(i): int(c) for i, c in enumerate(counts)},
    }
