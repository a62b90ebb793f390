#!/usr/bin/python3
"""
Independent reference of brainchop's whole inference pipeline (PyTorch, numpy, scipy, nibabel;
no TensorFlow). It reads a brainchop model folder (tfjs layers `model.json` + weight shards) and
its `models-list.json` entry, and runs the steps of brainchop's full-volume inference on a
conformed volume (uint8, 256^3, 1 mm, LIA):

  1. pre-model (entries with `preModelId`): that entry's normalization and transpose, the
     pre-model on the whole volume, argmax; its crop mask is argmax > 0 (no cleanup);
  2. the entry's normalization (min-max, or quantile 5 % / 95 % without clipping), then the crop
     mask: the pre-model mask, else `normalized > max * autoThreshold` when 0 < autoThreshold <= 1,
     else `normalized > 0`;
  3. bounding box of the mask; brainchop's own loop (`if c < min ... else if c > max`) can miss
     a maximum, so its box is computed too (`boxQuirk`) and a note printed when the two differ;
     the crop uses the true box (`--box brainchop` uses the loop's);
  4. the box grown by `cropPadding` voxels of the image on every side, stopping at the volume's
     edge (brainchop's cropAndGetCorner), cut out;
  5. `enableTranspose`: all axes reversed; the network; argmax (first maximum wins); back.
     As brainchop's runtime does (its LayerNormInPlace), each layer named `*_gn` (mindgrab) is
     followed by a per-channel normalization over the whole crop (mean 0, variance 1, eps 1e-5,
     no affine) that model.json does not describe; without it mindgrab's activations reach
     ~1e16 and its mask is the whole box;
  6. pasted at the grown box into a zero volume; `filterOutWithPreMask` multiplies
     by the pre-model mask;
  7. post-processing: only the largest 26-connected component of labels != 0 is kept (brainchop
     binarizes before keeping its largest cluster; ties go to the component found last in
     voxel order, as its labeller does);
  8. `Brain_Masking`: output 0/1; `Brain_Extraction`: 0/1 mask and the input times the mask;
     other types: channel indices.

Axis convention: brainchop stacks the NIfTI voxel buffer (i fastest) as a tensor [k, j, i]; this
script does the same (`S = V.transpose(2, 1, 0)`) and writes results back in NIfTI order.
Keras Conv3D maps to torch conv3d: input [1, A, B, C, 1] -> [1, 1, A, B, C], kernel
[k0, k1, k2, in, out] -> [out, in, k0, k1, k2], 'same' padding by TensorFlow's rule (total
dilation * (k - 1), the odd voxel at the end). The network runs layer by layer in float32 and
the last 1x1x1 layer slab by slab straight into the argmax, so 100-class outputs never exist
whole.

Usage:
  brainchop_reference.py --zoo DIR --id N --input t1.nii.gz [--dims X,Y,Z] [--out labels.nii.gz]
      [--masked brain.nii.gz] [--raw DIR] [--box true|brainchop] [--set KEY=JSON] [--threads 2]
  brainchop_reference.py forward --model model.json --input x.f32 --shape A,B,C --out logits.f32
--dims reads --input as raw uint8 voxels (NIfTI order); the NIfTI outputs then get an identity affine.
--set overrides a models-list entry setting (experiments, e.g. --set enableQuantileNorm=true).
forward runs the network alone: logits [A, B, C, classes] float32, as the tfjs model returns them.
--raw DIR writes labels.u8 (masked.u8 for Brain_Extraction, premask.u8 when a pre-model ran: its
argmax > 0) in NIfTI voxel order.
Prints one JSON line: seconds, peak memory, boxes (inclusive, voxel order i, j, k), crop shape,
voxel count per label, near ties (top-2 logits within 1e-3) and connected-component numbers.
"""
import argparse
import json
import math
import resource
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

TIE = 1e-3  # logits margin under which an argmax counts as a near tie


# ---------------------------------------------------------------------------------------------
# model loading


def load_settings(zoo):
    doc = json.loads((Path(zoo) / "models-list.json").read_text())
    entries = {int(e["id"]): e for e in doc["inferenceModelsList"]}
    return entries, doc.get("brainChopOpts", {})


def entry_model_path(zoo, entry):
    parts = str(entry["path"]).split("/")
    return Path(zoo) / parts[-2] / parts[-1]


def dequantize(raw, spec):
    """Values of one weight from its bytes: float32, or tfjs-converter quantization."""
    q = spec.get("quantization")
    if not q:
        if spec["dtype"] != "float32":
            raise ValueError(f"weight {spec['name']}: dtype {spec['dtype']} is not supported")
        return np.frombuffer(raw, "<f4")
    if q["dtype"] == "float16":
        return np.frombuffer(raw, "<f2").astype(np.float32)
    if q["dtype"] in ("uint8", "uint16"):
        ints = np.frombuffer(raw, "<u1" if q["dtype"] == "uint8" else "<u2")
        return (ints.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)  # as tfjs: in doubles, then float32
    raise ValueError(f"weight {spec['name']}: quantization {q['dtype']} is not supported")


def read_weights(model_json, folder):
    data = b"".join((folder / p).read_bytes() for g in model_json["weightsManifest"] for p in g["paths"])
    out, at = {}, 0
    for g in model_json["weightsManifest"]:
        for spec in g["weights"]:
            n = int(np.prod(spec["shape"])) if spec["shape"] else 1
            q = spec.get("quantization")
            width = {"uint8": 1, "uint16": 2, "float16": 2}[q["dtype"]] if q else 4
            raw = data[at:at + n * width]
            if len(raw) != n * width:
                raise ValueError(f"{folder}: weight shards end inside {spec['name']}")
            out[spec["name"]] = dequantize(raw, spec).reshape(spec["shape"])
            at += n * width
    return out


def load_network(path):
    """The model as a list of steps: ('conv', weight, bias, dilation, kernel), ('norm',), ('act', name)."""
    path = Path(path)
    mj = json.loads(path.read_text())
    if mj.get("format") != "layers-model":
        raise ValueError(f"{path}: not a tfjs layers model")
    layers = mj["modelTopology"]["model_config"]["config"]["layers"]
    weights = read_weights(mj, path.parent)
    steps, previous = [], None
    for layer in layers:
        cfg, kind, name = layer["config"], layer["class_name"], layer["name"]
        inbound = layer.get("inbound_nodes") or []
        sources = [n[0] for node in inbound for n in node]
        if previous is not None and sources != [previous]:
            raise ValueError(f"{path}: layer {name} is not fed by {previous} alone (only chains are supported)")
        previous = name
        if kind == "InputLayer":
            shape = cfg["batch_input_shape"]
            if len(shape) != 5 or shape[-1] != 1:
                raise ValueError(f"{path}: input shape {shape}, expected [N, D, H, W, 1]")
            continue
        if kind == "Conv3D":
            if cfg.get("data_format", "channels_last") != "channels_last" or cfg["padding"] != "same":
                raise ValueError(f"{path}: layer {name}: only channels_last 'same' convolutions are supported")
            if list(cfg["strides"]) != [1, 1, 1] or cfg.get("groups", 1) != 1:
                raise ValueError(f"{path}: layer {name}: strides/groups other than 1")
            dil = cfg["dilation_rate"]
            dil = [int(dil)] * 3 if isinstance(dil, int) else [int(d) for d in dil]
            kernel = weights[f"{name}/kernel"]  # [k0, k1, k2, in, out]
            w = torch.from_numpy(np.ascontiguousarray(kernel.transpose(4, 3, 0, 1, 2)))
            b = torch.from_numpy(weights[f"{name}/bias"].copy()) if cfg.get("use_bias", True) else None
            steps.append(("conv", w, b, dil, list(kernel.shape[:3])))
            act = cfg.get("activation", "linear")
        elif kind == "Activation":
            act = cfg["activation"]
        else:
            raise ValueError(f"{path}: layer {name}: {kind} is not supported")
        if act not in ("linear", "relu", "elu", "gelu", "softmax"):
            raise ValueError(f"{path}: layer {name}: activation {act} is not supported")
        if act != "linear":
            steps.append(("act", act))
        if name.endswith("_gn"):
            steps.append(("norm",))  # brainchop's runtime convention, after the layer: see instance_norm()
    if steps and steps[-1] == ("act", "softmax"):
        steps.pop()  # monotone: the argmax is the same (forward then returns the logits before it)
    if any(s == ("act", "softmax") for s in steps):
        raise ValueError(f"{path}: softmax inside the network is not supported")
    return steps


# ---------------------------------------------------------------------------------------------
# network


def conv(x, step):
    _, w, b, dil, ks = step
    pads = []
    for k, d in zip(ks, dil):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))  # TensorFlow: the odd voxel at the end
    if all(lo == hi for lo, hi in pads):
        return F.conv3d(x, w, b, padding=[lo for lo, _ in pads], dilation=dil)
    flat = [v for lo_hi in reversed(pads) for v in lo_hi]
    return F.conv3d(F.pad(x, flat), w, b, dilation=dil)


def instance_norm(x, eps=1e-5):
    """brainchop's LayerNormInPlace, applied after every Conv3D whose name ends in `_gn` (mindgrab):
    tf.moments over the spatial axes, x' = (x - mean) / sqrt(var + eps) per channel, no affine.
    model.json does not carry it; without it mindgrab's activations grow to ~1e16."""
    for c in range(x.shape[1]):
        ch = x[0, c]
        d = ch.double()
        mean = d.mean()
        var = ((d - mean) ** 2).mean()
        del d
        ch.sub_(float(mean)).mul_(float(1.0 / math.sqrt(float(var) + eps)))
    return x


def apply_step(x, step):
    if step[0] == "conv":
        return conv(x, step)
    if step[0] == "norm":
        return instance_norm(x)
    return activate(x, step[1])


def activate(x, name):
    if name == "relu":
        return torch.relu_(x)
    if name == "elu":
        return F.elu(x, inplace=True)
    if name == "gelu":  # tfjs-layers: x * 0.5 * (1 + erf(x / sqrt(2))), a channel at a time
        for c in range(x.shape[1]):
            ch = x[:, c]
            cdf = torch.erf(ch / math.sqrt(2.0)).add_(1.0).mul_(0.5)
            ch.mul_(cdf)
        return x
    raise ValueError(name)


def first_argmax(logits):
    """Argmax over dim 1 where ties go to the first maximum (tf.argMax); also the top-2 margin."""
    best = logits[:, 0].clone()
    idx = torch.zeros(best.shape, dtype=torch.uint8)
    for c in range(1, logits.shape[1]):
        m = logits[:, c] > best
        best = torch.where(m, logits[:, c], best)
        idx[m] = c
    if logits.shape[1] > 1:
        top2 = torch.topk(logits, 2, dim=1).values
        near = int(((top2[:, 0] - top2[:, 1]) < TIE).sum())
    else:
        near = 0
    return idx, near


def predict_logits(steps, volume):
    """Logits [A, B, C, classes] (channels last, as tfjs returns them) of the network on a 3-D array."""
    with torch.no_grad():
        h = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[None, None]
        for step in steps:
            h = apply_step(h, step)
        return h[0].permute(1, 2, 3, 0).contiguous().numpy()


def predict_labels(steps, volume, slab=16):
    """Argmax labels (uint8, volume's shape) of the network on a 3-D float32 array."""
    with torch.no_grad():
        h = torch.from_numpy(np.ascontiguousarray(volume, dtype=np.float32))[None, None]
        last = len(steps) - 1
        while last >= 0 and steps[last][0] != "conv":
            last -= 1
        tail = steps[last + 1:]
        pointwise = steps[last][4] == [1, 1, 1]
        for step in steps[:last if pointwise else last + 1]:
            h = apply_step(h, step)
        if not pointwise or any(step[0] == "norm" for step in tail):
            if pointwise:
                h = conv(h, steps[last])
            for step in tail:
                h = apply_step(h, step)
            idx, near = first_argmax(h)
            return idx[0].numpy(), near
        out = torch.zeros(h.shape[2:], dtype=torch.uint8)
        near = 0
        for a in range(0, h.shape[2], slab):
            logits = conv(h[:, :, a:a + slab], steps[last])
            for step in tail:
                logits = apply_step(logits, step)
            idx, n = first_argmax(logits)
            out[a:a + slab] = idx[0]
            near += n
        return out.numpy(), near


# ---------------------------------------------------------------------------------------------
# pipeline pieces


def normalize(s, quantile):
    x = s.astype(np.float32)
    if quantile:
        flat = np.sort(x, axis=None)
        n = flat.size
        qmin = flat[math.floor(n * 0.05)]
        qmax = flat[math.ceil(n * 0.95) - 1]
        return (x - qmin) / np.float32(qmax - qmin)
    lo, hi = x.min(), x.max()
    return (x - lo) / np.float32(hi - lo)


def run_network(steps, x, transpose):
    if transpose:
        labels, near = predict_labels(steps, x.transpose(2, 1, 0))
        return np.ascontiguousarray(labels.transpose(2, 1, 0)), near
    return predict_labels(steps, x)


def bounding_boxes(mask):
    """True box and brainchop's loop's box, each (min, max) inclusive in mask axis order."""
    coords = np.nonzero(mask)
    if coords[0].size == 0:
        raise ValueError("the crop mask is empty")
    true_min = [int(c.min()) for c in coords]
    true_max = [int(c.max()) for c in coords]
    # brainchop: row_min = slice_height, col_min = slice_width, depth_min = num_of_slices for the
    # axes (k, j, i) of a [nz, ny, nx] tensor; max starts at 0; `else if` skips the max update
    # whenever a coordinate sets a new minimum.
    nz, ny, nx = mask.shape
    quirk_max = []
    for c, init in zip(coords, (ny, nx, nz)):
        before = np.minimum.accumulate(np.concatenate(([init], c[:-1])))
        eligible = c[c >= before]
        quirk_max.append(max(0, int(eligible.max())) if eligible.size else 0)
    return (true_min, true_max), (true_min, quirk_max)


def largest_component(labels):
    """Labels outside the largest 26-connected component of labels != 0 set to 0."""
    comp, n = ndimage.label(labels != 0, structure=np.ones((3, 3, 3), bool))
    if n <= 1:
        return labels, n, 0
    sizes = np.bincount(comp.ravel())
    sizes[0] = 0
    keep = int(np.flatnonzero(sizes == sizes.max())[-1])
    removed = int((labels != 0).sum() - sizes[keep])
    return np.where(comp == keep, labels, 0).astype(np.uint8), n, removed


def ijk(box_axes):
    """(min, max) in [k, j, i] axis order -> dict in voxel order i, j, k."""
    lo, hi = box_axes
    return {"min": lo[::-1], "max": hi[::-1]}


def run_pipeline(zoo, entry_id, volume, box_mode="true", log=None, overrides=None):
    """brainchop's pipeline on volume V (uint8 [nx, ny, nz]); returns (outputs, report), the
    outputs as [k, j, i] arrays (C order: the NIfTI voxel buffer)."""
    entries, opts = load_settings(zoo)
    if entry_id not in entries:
        raise ValueError(f"models-list.json has no entry with id {entry_id}")
    entry = {**entries[entry_id], **(overrides or {})}
    s = np.ascontiguousarray(volume.transpose(2, 1, 0))  # [k, j, i], brainchop's tensor
    report = {"id": entry_id, "type": entry["type"], "model": str(entry_model_path(zoo, entry).parent.name),
              "dims": list(volume.shape)}
    if overrides:
        report["overrides"] = overrides
    t0 = time.time()

    pre_mask = None
    if entry.get("preModelId"):
        pre = entries[int(entry["preModelId"])]
        t = time.time()
        x = normalize(s, pre.get("enableQuantileNorm"))
        labels, near = run_network(load_network(entry_model_path(zoo, pre)), x, pre.get("enableTranspose"))
        del x
        pre_mask = labels > 0
        report["preModel"] = {"id": int(pre["id"]), "model": entry_model_path(zoo, pre).parent.name,
                              "seconds": round(time.time() - t, 2), "maskVoxels": int(pre_mask.sum()), "nearTies": near}

    y = normalize(s, entry.get("enableQuantileNorm"))
    thr = entry.get("autoThreshold") or 0
    if pre_mask is not None:
        mask = pre_mask
    elif 0 < thr <= 1:
        mask = y > np.float32(y.max()) * np.float32(thr)
    else:
        mask = y > 0
    true_box, quirk_box = bounding_boxes(mask)
    report["box"] = ijk(true_box)
    report["boxQuirk"] = ijk(quirk_box)
    if true_box != quirk_box:
        note = f"brainchop's bounding-box loop gives {report['boxQuirk']} instead of {report['box']}"
        report["boxNote"] = note
        if log:
            log(f"note: {note}")
    lo, hi = quirk_box if box_mode == "brainchop" else true_box
    if any(h < l for l, h in zip(lo, hi)):
        raise ValueError(f"box {lo}..{hi} is empty")
    pad = int(entry.get("cropPadding") or 0)
    # brainchop's cropAndGetCorner: the box grown by cropPadding voxels of the image itself, the
    # margin stopping at the volume's edge (it never pads with zeros).
    lo = [max(0, l - pad) for l in lo]
    hi = [min(n - 1, h + pad) for h, n in zip(hi, y.shape)]
    crop = y[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1]
    del y
    report["cropShape"] = list(crop.shape)  # [k, j, i] before any transpose
    report["padding"] = pad

    t = time.time()
    out, near = run_network(load_network(entry_model_path(zoo, entry)), crop, entry.get("enableTranspose"))
    report["networkSeconds"] = round(time.time() - t, 2)
    report["nearTies"] = near
    del crop
    inner = out
    labels = np.zeros(s.shape, np.uint8)
    labels[lo[0]:hi[0] + 1, lo[1]:hi[1] + 1, lo[2]:hi[2] + 1] = inner
    if entry.get("filterOutWithPreMask") and pre_mask is not None:
        labels *= pre_mask.astype(np.uint8)

    if opts.get("isPostProcessEnable", True):
        labels, n, removed = largest_component(labels)
        report["components"] = n
        report["removedByCleanup"] = removed

    outputs = {}
    if entry["type"] in ("Brain_Masking", "Brain_Extraction"):
        outputs["labels"] = (labels != 0).astype(np.uint8)
        if entry["type"] == "Brain_Extraction":
            outputs["masked"] = s * outputs["labels"]
    else:
        outputs["labels"] = labels
    if pre_mask is not None:
        outputs["premask"] = pre_mask.astype(np.uint8)
    report["seconds"] = round(time.time() - t0, 2)
    values, counts = np.unique(outputs["labels"], return_counts=True)
    report["counts"] = {str(int(v)): int(c) for v, c in zip(values, counts)}
    return outputs, report


# ---------------------------------------------------------------------------------------------


def save_nifti(data, like, path):
    img = nib.Nifti1Image(data.transpose(2, 1, 0).astype(np.uint8), like.affine)
    img.header.set_qform(like.affine, int(like.header["qform_code"]) or 1)
    img.header.set_sform(like.affine, int(like.header["sform_code"]) or 1)
    nib.save(img, str(path))


def main_forward(argv):
    ap = argparse.ArgumentParser(prog="brainchop_reference.py forward", description="network logits on a raw volume")
    ap.add_argument("--model", required=True, help="tfjs layers model.json")
    ap.add_argument("--input", required=True, help="raw float32 volume, C order")
    ap.add_argument("--shape", required=True, help="A,B,C: the Keras input's spatial shape")
    ap.add_argument("--out", required=True, help="raw float32 logits [A, B, C, classes]")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    shape = [int(v) for v in a.shape.split(",")]
    x = np.fromfile(a.input, "<f4").reshape(shape)
    logits = predict_logits(load_network(a.model), x)
    logits.astype("<f4").tofile(a.out)
    print(json.dumps({"shape": list(logits.shape)}), flush=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "forward":
        return main_forward(sys.argv[2:])
    ap = argparse.ArgumentParser(description="brainchop's inference pipeline, independent reference")
    ap.add_argument("--zoo", required=True, help="folder with models-list.json and the model folders")
    ap.add_argument("--id", type=int, required=True, help="inferenceModelsList entry id")
    ap.add_argument("--input", required=True, help="conformed uint8 NIfTI, or raw uint8 voxels with --dims")
    ap.add_argument("--dims", help="X,Y,Z: --input is a raw uint8 buffer in NIfTI voxel order (i fastest)")
    ap.add_argument("--out", help="labels NIfTI")
    ap.add_argument("--masked", help="Brain_Extraction: the skull-stripped image NIfTI")
    ap.add_argument("--raw", help="folder for labels.u8 / masked.u8 (NIfTI voxel order)")
    ap.add_argument("--box", choices=["true", "brainchop"], default="true")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override an entry setting")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.dims:
        dims = [int(v) for v in a.dims.split(",")]
        volume = np.fromfile(a.input, np.uint8).reshape(dims[::-1]).transpose(2, 1, 0)
        img = nib.Nifti1Image(np.zeros((1, 1, 1), np.uint8), np.eye(4))
    else:
        img = nib.load(a.input)
        volume = np.asarray(img.dataobj.get_unscaled() if hasattr(img.dataobj, "get_unscaled") else img.dataobj)
    if volume.ndim != 3 or volume.dtype != np.uint8:
        raise SystemExit(f"{a.input}: expected a 3-D uint8 (conformed) volume, got {volume.dtype} {volume.shape}")
    overrides = {kv.split("=", 1)[0]: json.loads(kv.split("=", 1)[1]) for kv in a.set}
    outputs, report = run_pipeline(a.zoo, a.id, volume, a.box, log=lambda m: print(m, flush=True), overrides=overrides)
    if a.out:
        save_nifti(outputs["labels"], img, a.out)
    if a.masked and "masked" in outputs:
        save_nifti(outputs["masked"], img, a.masked)
    if a.raw:
        raw = Path(a.raw)
        raw.mkdir(parents=True, exist_ok=True)
        for name, data in outputs.items():
            (raw / f"{name}.u8").write_bytes(np.ascontiguousarray(data, np.uint8).tobytes())
    report["peakMB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    report["threads"] = a.threads
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
