"""
TotalSegmentator's steps around nnU-Net, written from totalsegmentator/nnunet.py
(nnUNet_predict_image), totalsegmentator/resampling.py (change_spacing, resample_img) and
totalsegmentator/alignment.py (as_closest_canonical, undo_canonical), for the reference:

1. the image as float64 (get_fdata) with its affine, made closest-canonical (RAS+) by nibabel;
2. change_spacing to the model's isotropic spacing: zoom = header zooms / new spacing,
   scipy.ndimage.zoom(order=3) with its defaults (mode 'constant', grid_mode False), cast to int32
   (truncation), affine columns divided by the zoom; saved as NIfTI for nnU-Net;
3. nnU-Net's prediction of that file (predict.predict_file);
4. change_spacing of the labels back to the canonical image's shape (target_shape: zoom = target /
   shape), order 0, uint8, with the canonical image's affine;
5. undo_canonical: back to the input's orientation (nibabel as_reoriented with the inverse
   orientation transform).
Mirroring is off (TotalSegmentator runs without test-time augmentation); tile step 0.5 for the 3 mm
model (0.8 for its 1.5 mm parts, given with --step).
"""
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.orientations import axcodes2ornt, io_orientation, ornt_transform
from scipy import ndimage

from .predict import predict_file


def change_spacing(data, zooms, affine, new_spacing=None, target_shape=None, order=0, dtype=None):
    old_shape = np.array(data.shape)
    zooms = np.array(zooms, dtype=np.float64)
    if target_shape is not None:
        zoom = np.array(target_shape) / old_shape
    else:
        zoom = zooms / np.array(new_spacing, dtype=np.float64)
    new_affine = np.copy(affine)
    for c in range(3):
        new_affine[:3, c] = new_affine[:3, c] / zoom[c]
    out = ndimage.zoom(data, zoom, order=order)
    if dtype is not None:
        out = out.astype(dtype)
    return out, new_affine


def predict_totalseg(model, folds, image, out, spacing, step=0.5):
    orig = nib.load(str(image))
    img = nib.Nifti1Image(orig.get_fdata(), orig.affine)
    can = nib.as_closest_canonical(img)
    data = can.get_fdata()
    rsp, rsp_affine = change_spacing(data, can.header.get_zooms()[:3], can.affine, new_spacing=[spacing] * 3,
                                     order=3, dtype=np.int32)
    with tempfile.TemporaryDirectory(prefix="voxseg-totalseg-") as tmp:
        src = Path(tmp) / "s01_0000.nii.gz"
        dst = Path(tmp) / "s01.nii.gz"
        nib.save(nib.Nifti1Image(rsp, rsp_affine), str(src))
        summary = predict_file(model, folds, src, dst, step=step)
        seg = np.asanyarray(nib.load(str(dst)).dataobj)
        seg_zooms = nib.load(str(dst)).header.get_zooms()[:3]
    back, _ = change_spacing(seg, seg_zooms, rsp_affine, target_shape=data.shape, order=0, dtype=np.uint8)
    back_img = nib.Nifti1Image(back, can.affine)
    from_canonical = ornt_transform(axcodes2ornt("RAS"), io_orientation(orig.affine))
    final = back_img.as_reoriented(from_canonical)
    res = nib.Nifti1Image(np.asanyarray(final.dataobj).astype(np.uint8), orig.affine)
    nib.save(res, str(out))
    summary.update({"canonical_shape": list(data.shape), "resampled_shape": list(rsp.shape)})
    return summary
