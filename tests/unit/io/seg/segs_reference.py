"""Reference voxels for the SEG reader tests, from pydicom's decoding of a written SEG file:
`expected` places each decoded frame on the grid by its ImagePositionPatient; `tilted_expected`
resamples frames that lie on the acquired planes of a tilted series onto the regular grid (nearest
plane along the normal, then nearest pixel; rounding half up as the reader does). Used by make_segs.py.
"""
import math

import numpy as np
import pydicom

from segs_build import NX, NY, ORIGIN, ROW, COL, NORMAL, PS, DZ, TILT_DZ, TILT_NZ, TILT_UIDS, TILT_Z, tilted_position


def expected(path):
    """Voxels of each segment on the reference grid, from pydicom's decoding of `path`."""
    ds = pydicom.dcmread(path)
    nf = int(getattr(ds, "NumberOfFrames", 1))
    px = ds.pixel_array.reshape(nf, int(ds.Rows), int(ds.Columns))
    kind = ds.SegmentationType
    out = {}
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        pos = np.array([float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]) - ORIGIN
        q = [pos @ ROW / PS[1], pos @ COL / PS[0], pos @ NORMAL / DZ]
        k = int(round(q[2]))
        assert abs(q[0]) < 0.1 and abs(q[1]) < 0.1 and abs(q[2] - k) < 0.1, (path, f, q)
        frame = px[f].astype(np.int64)
        base_index = k * NX * NY
        if kind == "LABELMAP":
            for v in np.unique(frame):
                if v != int(ds.get("PixelPaddingValue", 0)):
                    out.setdefault(int(v), []).extend((base_index + np.flatnonzero(frame == v)).tolist())
            continue
        on = frame * 2 >= int(ds.MaximumFractionalValue) if kind == "FRACTIONAL" else frame != 0
        on &= frame > 0
        seg = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        out.setdefault(seg, []).extend((base_index + np.flatnonzero(on)).tolist())
    result = {"segments": {str(s): sorted(set(v)) for s, v in out.items()}}
    if ds.PhotometricInterpretation == "PALETTE COLOR":
        # colour of each segment = palette entry of its number (pydicom's LUT), 16 -> 8 bit
        from pydicom.pixel_data_handlers.util import apply_color_lut

        numbers = [int(s.SegmentNumber) for s in ds.SegmentSequence]
        rgb = apply_color_lut(np.array(numbers, dtype=np.uint8), ds)
        result["colors"] = {str(n): [int(c) >> 8 for c in rgb[i]] for i, n in enumerate(numbers)}
    return result


def tilted_expected(path):
    """Nearest neighbour from pydicom's decoded frames (on their acquired planes) onto the regular grid."""
    ds = pydicom.dcmread(path)
    nf = int(ds.NumberOfFrames)
    px = ds.pixel_array.reshape(nf, NY, NX)
    frames = {}
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        uid = item.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID
        seg = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        frames[(seg, TILT_UIDS.index(uid))] = px[f]
    out = {}
    for k in range(TILT_NZ):
        z = k * TILT_DZ
        if z < TILT_Z[0] - TILT_DZ / 2 or z > TILT_Z[-1] + TILT_DZ / 2:
            continue
        s = int(np.argmin([abs(t - z) for t in TILT_Z]))
        p = np.array(tilted_position(s))
        for j in range(NY):
            for i in range(NX):
                rel = ORIGIN + i * PS[1] * ROW + j * PS[0] * COL + z * NORMAL - p
                u = int(math.floor(rel @ ROW / PS[1] + 0.5))
                v = int(math.floor(rel @ COL / PS[0] + 0.5))
                if not (0 <= u < NX and 0 <= v < NY):
                    continue
                for (seg, fs), frame in frames.items():
                    if fs == s and frame[v, u]:
                        out.setdefault(seg, []).append(i + j * NX + k * NX * NY)
    return {"segments": {str(n): sorted(v) for n, v in out.items()}}
