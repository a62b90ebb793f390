#!/usr/bin/python3
"""
Independent reference for voxseg's nnU-Net v2 import (PyTorch, numpy, scipy, nibabel; no nnU-Net
package). Commands:

  make     write an nnU-Net result folder with random weights (and its zip)
           nnunet_reference.py make --case CASE --schema new|old --out DIR [--folds 0,1] [--seed N] [--zip]
               [--checkpoint final|best|both] [--trainer NAME] [--configuration NAME]
               [--spacing Z,Y,X] [--patch Z,Y,X] [--transpose 0,1,2]
               [--normalization CTNormalization|ZScoreNormalization|NoNormalization] [--use-mask-for-norm]
           prints {"folder": ..., "zip": ..., "top2_margin": {...}}
  forward  fold-averaged logits of raw float32 input (N,C,D,H,W) -> raw float32 (N,classes,D,H,W)
           nnunet_reference.py forward --model FOLDER --folds 0,1 [--checkpoint final|best]
               --input in.f32 --shape N,C,D,H,W --out out.f32
  predict  nnU-Net v2's whole prediction of a NIfTI image
           nnunet_reference.py predict --model FOLDER --folds 0 --image img.nii.gz --out seg.nii.gz
               [--checkpoint final|best] [--step 0.5] [--mirror] [--logits-out FILE] [--half-gaussian]
           prints a JSON summary (shapes, spacing, tiles, seconds, voxels per label)
  totalseg TotalSegmentator's steps around predict (canonical RAS, change_spacing, back)
           nnunet_reference.py totalseg --model FOLDER --image img.nii.gz --out seg.nii.gz [--spacing 3] [--step 0.5]
  synth    a CT-like test volume (anisotropic by default, exact zeros at some borders)
           nnunet_reference.py synth --out img.nii.gz [--shape 200,150,24] [--zooms 0.8,0.8,2.5] [--seed N]
Global option before the command: --threads N (torch threads, default 1).
Cases: plain-iso, plain-aniso, resenc-m, tiny, tiny-totalseg, total-3mm (see voxseg_nnunet/cases.py).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from voxseg_nnunet.cases import CASES  # noqa: E402
from voxseg_nnunet.fixtures import make_case  # noqa: E402
from voxseg_nnunet.plans import ResultFolder  # noqa: E402
from voxseg_nnunet.predict import predict_file  # noqa: E402


def ints(text):
    return [int(v) for v in text.split(",")] if text else None


def floats(text):
    return [float(v) for v in text.split(",")] if text else None


def cmd_make(a):
    result = make_case(a.case, a.schema, a.out, folds=ints(a.folds), seed=a.seed, zip_it=a.zip, which=a.checkpoint,
                       trainer=a.trainer, configuration=a.configuration, spacing=floats(a.spacing),
                       patch=ints(a.patch), transpose=ints(a.transpose), normalization=a.normalization,
                       use_mask_for_norm=a.use_mask_for_norm)
    print(json.dumps(result))


def cmd_forward(a):
    shape = ints(a.shape)
    x = torch.from_numpy(np.fromfile(a.input, dtype="<f4").reshape(shape))
    nets, _ = ResultFolder(a.model).networks(ints(a.folds), a.checkpoint)
    with torch.no_grad():
        out = sum(net(x) for net in nets) / len(nets)
    out.numpy().astype("<f4").tofile(a.out)
    print(json.dumps({"shape": list(out.shape), "folds": len(nets)}))


def cmd_predict(a):
    t = time.time()
    summary = predict_file(a.model, ints(a.folds), a.image, a.out, checkpoint=a.checkpoint, step=a.step,
                           mirror=a.mirror, logits_out=a.logits_out, half_gaussian=a.half_gaussian)
    summary["seconds"] = round(time.time() - t, 2)
    print(json.dumps(summary))


def cmd_totalseg(a):
    from voxseg_nnunet.totalseg import predict_totalseg
    t = time.time()
    summary = predict_totalseg(a.model, ints(a.folds), a.image, a.out, a.spacing, step=a.step)
    summary["seconds"] = round(time.time() - t, 2)
    print(json.dumps(summary))


def cmd_synth(a):
    """A CT-like test volume: air, an elliptic body with blobs, noise, and a zero border (cropping)."""
    import nibabel as nib
    shape, zooms = ints(a.shape), floats(a.zooms)
    rng = np.random.default_rng(a.seed)
    grid = np.meshgrid(*[(np.arange(n) + 0.5) / n - 0.5 for n in shape], indexing="ij")
    body = (grid[0] / 0.42) ** 2 + (grid[1] / 0.33) ** 2 < 1
    vol = np.where(body, 40.0, -1000.0)
    for _ in range(6):
        c = rng.uniform(-0.2, 0.2, 3)
        r = rng.uniform(0.05, 0.15)
        vol[sum((g - cc) ** 2 for g, cc in zip(grid, c)) < r * r] = rng.uniform(-100, 300)
    vol += rng.normal(0, 15, shape)
    vol = np.round(vol).astype(np.int16)
    b = a.zero_border
    if b:
        vol[:b], vol[-b:], vol[:, :b] = 0, 0, 0
    affine = np.diag([-zooms[0], -zooms[1], zooms[2], 1.0])
    affine[:3, 3] = [shape[0] * zooms[0] / 2, shape[1] * zooms[1] / 2, -shape[2] * zooms[2] / 2]
    img = nib.Nifti1Image(vol, affine)
    img.header.set_zooms(zooms)
    img.header.set_qform(affine, 1)
    img.header.set_sform(affine, 1)
    nib.save(img, a.out)
    print(json.dumps({"image": a.out, "shape": shape, "zooms": zooms}))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--case", required=True, choices=sorted(CASES))
    m.add_argument("--schema", required=True, choices=["new", "old"])
    m.add_argument("--out", required=True)
    m.add_argument("--folds", default="0")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--zip", action="store_true")
    m.add_argument("--checkpoint", default="final", choices=["final", "best", "both"])
    m.add_argument("--trainer", default="nnUNetTrainer")
    m.add_argument("--configuration", default="3d_fullres",
                   help="another name writes a configuration that inherits_from 3d_fullres")
    m.add_argument("--spacing", help="override 3d_fullres spacing (z,y,x after transpose)")
    m.add_argument("--patch", help="override 3d_fullres patch size")
    m.add_argument("--transpose", help="transpose_forward, e.g. 2,0,1 (backward is its inverse)")
    m.add_argument("--normalization", choices=["CTNormalization", "ZScoreNormalization", "NoNormalization"],
                   help="override the scheme (ZScore also names the channel MRI)")
    m.add_argument("--use-mask-for-norm", action="store_true", help="with ZScore: statistics inside the nonzero mask")
    m.set_defaults(fn=cmd_make)
    f = sub.add_parser("forward")
    f.add_argument("--model", required=True)
    f.add_argument("--folds", default="0")
    f.add_argument("--checkpoint", default="final", choices=["final", "best"])
    f.add_argument("--input", required=True)
    f.add_argument("--shape", required=True)
    f.add_argument("--out", required=True)
    f.set_defaults(fn=cmd_forward)
    r = sub.add_parser("predict")
    r.add_argument("--model", required=True)
    r.add_argument("--folds", default="0")
    r.add_argument("--checkpoint", default="final", choices=["final", "best"])
    r.add_argument("--image", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--step", type=float, default=0.5)
    r.add_argument("--mirror", action="store_true")
    r.add_argument("--logits-out")
    r.add_argument("--half-gaussian", action="store_true",
                   help="round the Gaussian importance map through float16 as nnU-Net does")
    r.set_defaults(fn=cmd_predict)
    t = sub.add_parser("totalseg", help="TotalSegmentator's steps around nnU-Net's prediction")
    t.add_argument("--model", required=True)
    t.add_argument("--folds", default="0")
    t.add_argument("--image", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--spacing", type=float, default=3.0, help="the model's isotropic spacing (mm)")
    t.add_argument("--step", type=float, default=0.5)
    t.set_defaults(fn=cmd_totalseg)
    s = sub.add_parser("synth")
    s.add_argument("--out", required=True)
    s.add_argument("--shape", default="200,150,24", help="voxels along the file's i,j,k")
    s.add_argument("--zooms", default="0.8,0.8,2.5", help="mm along i,j,k")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--zero-border", type=int, default=3, help="voxels of exact zeros at some borders (0: none)")
    s.set_defaults(fn=cmd_synth)
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    a.fn(a)


if __name__ == "__main__":
    main()
