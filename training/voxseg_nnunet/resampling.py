"""
nnU-Net v2's default resampling (nnunetv2.preprocessing.resampling.default_resampling), with
numpy/scipy only. Followed by name: compute_new_shape, get_do_separate_z, get_lowres_axis,
determine_do_sep_z_and_axis, resample_data_or_seg_to_shape, resample_data_or_seg (is_seg=False).

skimage is not used: nnU-Net calls skimage.transform.resize(img, shape, order, mode='edge',
anti_aliasing=False), which (scikit-image >= 0.19 with SciPy >= 1.6) computes
factors = in_shape / out_shape and returns
  scipy.ndimage.zoom(img, [1 / f for f in factors], order=order, mode='nearest', grid_mode=True)
clipped to [img.min(), img.max()] (its default clip=True). `skimage_resize` does exactly that
(float64 input, as nnU-Net passes data.astype(float)). Older scikit-image (< 0.19) took other
code paths (warp for 2-D) and may differ at the borders.
The out-of-plane step of "separate z" is map_coordinates(order=order_z, mode='nearest') at
coordinates scale * (i + 0.5) - 0.5 along every axis (identity in-plane), as nnU-Net writes it.
"""
import numpy as np
from scipy import ndimage

ANISO_THRESHOLD = 3


def compute_new_shape(old_shape, old_spacing, new_spacing):
    return np.array([int(round(i / j * k)) for i, j, k in zip(old_spacing, new_spacing, old_shape)])


def _lowres_axis(spacing):
    spacing = np.array(spacing, dtype=float)
    return np.where(max(spacing) / spacing == 1)[0]


def separate_z_and_axis(force_separate_z, current_spacing, new_spacing, threshold=ANISO_THRESHOLD):
    if force_separate_z is not None:
        do_separate_z = force_separate_z
        axis = _lowres_axis(current_spacing) if force_separate_z else None
    elif np.max(current_spacing) / np.min(current_spacing) > threshold:
        do_separate_z, axis = True, _lowres_axis(current_spacing)
    elif np.max(new_spacing) / np.min(new_spacing) > threshold:
        do_separate_z, axis = True, _lowres_axis(new_spacing)
    else:
        do_separate_z, axis = False, None
    if axis is not None:
        if len(axis) in (2, 3):
            do_separate_z, axis = False, None
        else:
            axis = int(axis[0])
    return do_separate_z, axis


def skimage_resize(img, new_shape, order):
    img = np.asarray(img, dtype=np.float64)
    factors = np.divide(img.shape, new_shape)
    out = ndimage.zoom(img, [1 / f for f in factors], order=order, mode="nearest", cval=0, grid_mode=True)
    assert tuple(out.shape) == tuple(int(s) for s in new_shape), (out.shape, new_shape)
    np.clip(out, img.min(), img.max(), out=out)
    return out


def resample_to_shape(data, new_shape, current_spacing, new_spacing, order=3, order_z=0, force_separate_z=None,
                      is_seg=False):
    """data (c, z, y, x) -> (c, *new_shape), dtype kept. Returns (array, info dict)."""
    if is_seg:
        raise NotImplementedError("segmentation resampling is not needed for prediction")
    do_separate_z, axis = separate_z_and_axis(force_separate_z, current_spacing, new_spacing)
    info = {"separate_z": bool(do_separate_z), "axis": axis}
    shape = np.array(data.shape[1:])
    new_shape = np.array(new_shape)
    if not np.any(shape != new_shape):
        return data, info
    out = np.zeros((data.shape[0], *new_shape), dtype=data.dtype)
    data = data.astype(float, copy=False)
    for c in range(data.shape[0]):
        if not do_separate_z:
            out[c] = skimage_resize(data[c], new_shape, order)
            continue
        plane_shape = np.delete(new_shape, axis)
        tmp_shape = new_shape.copy()
        tmp_shape[axis] = shape[axis]
        inplane = np.zeros(tmp_shape)
        for i in range(shape[axis]):
            src = np.take(data[c], i, axis=axis)
            index = [slice(None)] * 3
            index[axis] = i
            inplane[tuple(index)] = skimage_resize(src, plane_shape, order)
        if shape[axis] != new_shape[axis]:
            scale = np.array(inplane.shape, dtype=float) / new_shape
            grid = np.mgrid[:new_shape[0], :new_shape[1], :new_shape[2]].astype(float)
            coords = np.array([scale[d] * (grid[d] + 0.5) - 0.5 for d in range(3)])
            out[c] = ndimage.map_coordinates(inplane, coords, order=order_z, mode="nearest")
        else:
            out[c] = inplane
    return out, info
