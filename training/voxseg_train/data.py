"""
Cases on the model's grid, and training patches.

A case is read from the nnU-Net style folder `voxseg dataset` writes (imagesTr/case_SEED_0000.nii.gz,
labelsTr/case_SEED.nii.gz), turned to RAS (nibabel's closest canonical orientation: index i grows
to the patient's right, j anterior, k superior) and resampled to the model spacing the way voxseg's
inference pipeline does it: the field of view is kept, dims = round(extent / spacing), and voxel
edges line up (trilinear with align_corners=False for the image, nearest for labels). Arrays are
stored in tensor order (k, j, i), which is the NCDHW layout the exported model gets from voxseg.
"""
import hashlib
import json
import math
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[2]


def ensure_cases(data_dir, wanted, log=print):
    """Write the phantom cases that are missing with `voxseg dataset` (Node)."""
    data_dir = Path(data_dir)
    listed = {}
    ds = data_dir / "dataset.json"
    if ds.exists():
        for c in json.loads(ds.read_text()).get("cases", []):
            listed[(c["kind"], c["seed"])] = c
    missing = {}
    for kind, seed in wanted:
        c = listed.get((kind, seed))
        if c is None or not (data_dir / c["image"]).exists() or not (data_dir / c["label"]).exists():
            missing.setdefault(kind, []).append(seed)
    for kind, seeds in missing.items():
        log(f"writing {len(seeds)} {kind} phantom cases to {data_dir}")
        cmd = ["node", str(REPO / "bin" / "voxseg.js"), "dataset", "-o", str(data_dir),
               "--seeds", ",".join(map(str, seeds)), "--kind", kind]
        subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    listed = {(c["kind"], c["seed"]): c for c in json.loads(ds.read_text())["cases"]}
    return [listed[w] for w in wanted]


def to_model_grid(img, zooms, spacing, mode):
    """(X, Y, Z) RAS array at `zooms` mm -> (k, j, i) tensor at `spacing` mm, same field of view."""
    dims = [max(1, round(zooms[c] * img.shape[c] / spacing[c])) for c in range(3)]  # half to even, as voxseg
    t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 1, 0))).float()[None, None]
    size = (dims[2], dims[1], dims[0])
    if mode == "linear":
        out = F.interpolate(t, size=size, mode="trilinear", align_corners=False)
    else:
        out = F.interpolate(t, size=size, mode="nearest-exact")
    return out[0, 0]


def load_case(data_dir, case, spacing, cache_dir):
    """Image (float32, HU) and labels (uint8) of one case on the model grid, cached as .npz."""
    key = hashlib.sha1(json.dumps([case["image"], case["label"], spacing]).encode()).hexdigest()[:12]
    cache = Path(cache_dir) / f"{Path(case['label']).name.split('.')[0]}-{key}.npz"
    if cache.exists():
        z = np.load(cache)
        return z["image"].astype(np.float32), z["labels"]
    im = nib.as_closest_canonical(nib.load(str(Path(data_dir) / case["image"])))
    lb = nib.as_closest_canonical(nib.load(str(Path(data_dir) / case["label"])))
    if im.shape != lb.shape or not np.allclose(im.affine, lb.affine, atol=1e-3):
        raise ValueError(f"{case['image']} and {case['label']} are not on the same grid")
    zooms = [float(z) for z in im.header.get_zooms()[:3]]
    image = np.round(to_model_grid(np.asarray(im.dataobj, dtype=np.float32), zooms, spacing, "linear").numpy()).astype(np.int16)
    labels = to_model_grid(np.asarray(lb.dataobj, dtype=np.float32), zooms, spacing, "nearest").numpy().astype(np.uint8)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    np.savez(cache, image=image, labels=labels)
    return image.astype(np.float32), labels


def ct_normalization(cases, rng, window=None, samples=200000):
    """
    nnU-Net's CT scheme: clip to the 0.5/99.5 percentiles of foreground voxels, then z-score with
    the foreground's mean and std. A fixed `window` [lo, hi] (HU) replaces the percentiles: the
    phantom's lungs are foreground, so their percentile would clip air and lung to the same value.
    """
    fg = []
    per = max(1, samples // max(1, len(cases)))
    for image, labels in cases:
        v = image[labels > 0]
        if v.size:
            fg.append(rng.choice(v, size=min(per, v.size), replace=False))
    fg = np.concatenate(fg)
    lo, hi = window if window else np.percentile(fg, [0.5, 99.5])
    c = np.clip(fg, lo, hi)
    return {"kind": "ct", "clip": [float(round(lo, 1)), float(round(hi, 1))],
            "mean": round(float(c.mean()), 3), "std": round(float(c.std()), 3)}


def normalize(image, norm):
    lo, hi = norm["clip"]
    return ((np.clip(image, lo, hi) - norm["mean"]) / norm["std"]).astype(np.float32)


class PatchSampler:
    """Random training patches: foreground oversampling, spatial and intensity augmentation."""

    def __init__(self, cases, classes, patch, rng, foreground=0.67, weights=None):
        """`weights`: how often each foreground class (1..classes-1) is picked as the patch centre,
        relative to the others (default all 1, nnU-Net's uniform choice)."""
        self.cases = []
        for image, labels in cases:
            where = {}
            for c in range(1, classes):
                idx = np.flatnonzero(labels == c)
                if idx.size:
                    where[c] = rng.choice(idx, size=min(4000, idx.size), replace=False)
            self.cases.append((torch.from_numpy(image)[None, None], torch.from_numpy(labels.astype(np.float32))[None, None], where))
        self.patch = patch
        self.rng = rng
        self.foreground = foreground
        self.weights = np.asarray(weights if weights is not None else [1.0] * (classes - 1), dtype=np.float64)
        if self.weights.shape != (classes - 1,) or (self.weights < 0).any():
            raise ValueError(f"foreground weights: need {classes - 1} values >= 0, got {list(self.weights)}")

    def centre(self, shape, where):
        rng = self.rng
        if where and rng.random() < self.foreground:
            present = list(where)
            w = self.weights[np.array(present) - 1]
            if w.sum() > 0 and (w != w[0]).any():
                c = present[rng.choice(len(present), p=w / w.sum())]
            else:  # uniform (the random stream is the one earlier models were trained with)
                c = present[rng.integers(len(present))]
            flat = where[c][rng.integers(where[c].size)]
            centre = np.array(np.unravel_index(flat, shape), dtype=np.float64)
            return centre + rng.uniform(-0.3, 0.3, 3) * np.array(self.patch)
        return np.array([rng.uniform(0, s - 1) for s in shape])

    def sample(self, batch):
        images, labels = [], []
        for _ in range(batch):
            image, lab, where = self.cases[self.rng.integers(len(self.cases))]
            grid = self.grid(image.shape[2:], self.centre(image.shape[2:], where))
            # Outside the field of view: the image's lowest value (air), label 0.
            low = float(image.min())
            x = F.grid_sample(image - low, grid, mode="bilinear", padding_mode="zeros", align_corners=True) + low
            y = F.grid_sample(lab, grid, mode="nearest", padding_mode="zeros", align_corners=True)
            images.append(self.intensity(x[0]))
            labels.append(y[0, 0].long())
        return torch.stack(images), torch.stack(labels)

    def grid(self, shape, centre):
        """Sampling grid (1, d, h, w, 3) of a patch around `centre` (k, j, i voxels), rotated and scaled."""
        rng = self.rng
        d, h, w = self.patch
        kk, jj, ii = torch.meshgrid(
            torch.arange(d, dtype=torch.float64) - (d - 1) / 2,
            torch.arange(h, dtype=torch.float64) - (h - 1) / 2,
            torch.arange(w, dtype=torch.float64) - (w - 1) / 2, indexing="ij")
        pts = torch.stack([ii, jj, kk], -1).reshape(-1, 3)  # x=i, y=j, z=k
        rot = np.eye(3)
        if rng.random() < 0.5:  # in-plane (axial) rotation up to 15 degrees, tilts up to 5
            a = math.radians(rng.uniform(-15, 15))
            b = math.radians(rng.uniform(-5, 5))
            c = math.radians(rng.uniform(-5, 5))
            rz = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
            rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
            ry = np.array([[math.cos(c), 0, math.sin(c)], [0, 1, 0], [-math.sin(c), 0, math.cos(c)]])
            rot = rz @ rx @ ry
        scale = rng.uniform(0.85, 1.15) if rng.random() < 0.5 else 1.0
        m = torch.from_numpy(rot * scale)
        p = pts @ m.T + torch.tensor([centre[2], centre[1], centre[0]])
        size = torch.tensor([shape[2], shape[1], shape[0]], dtype=torch.float64)
        norm = 2 * p / (size - 1).clamp(min=1) - 1
        return norm.reshape(1, d, h, w, 3).float()

    def intensity(self, x):
        rng = self.rng
        if rng.random() < 0.5:
            x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
        if rng.random() < 0.3:
            x = x + torch.randn(x.shape, generator=None) * rng.uniform(0.0, 0.1)
        return x
