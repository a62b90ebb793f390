"""Generator of small DICOM SEG test files (BINARY, FRACTIONAL, LABELMAP, encodings, broken ones)
for the SEG reader tests, plus, for every file, the expected voxels computed independently by
pydicom's decoding of the written file (segs_reference.py).

Usage: python3 make_segs.py OUT_DIR
Writes OUT_DIR/grid.json (the reference grid the TypeScript test builds its volume from),
OUT_DIR/tilted-grid.json (a resampled reference with its acquired planes) and, per case,
NAME.dcm and NAME.json: {"segments": {number: [flat voxel indices on the grid]}}; OUT_DIR/ct/ holds
the reference CT series itself (for the CLI).
"""
import json
import math
import os
import sys

import numpy as np

from segs_build import (
    COL,
    CT,
    DZ,
    FOR_UID,
    NORMAL,
    NX,
    NY,
    NZ,
    ORIGIN,
    PS,
    ROW,
    SERIES_UID,
    SOP_UIDS,
    STUDY_UID,
    TILT_DZ,
    TILT_NZ,
    TILT_UIDS,
    ExplicitVRBigEndian,
    binary,
    ct_series,
    encode,
    fractional,
    labelmap,
    masks,
    segment_item,
    tilted,
    tilted_position,
)
from segs_reference import expected, tilted_expected


def save(ds, out, name, how=None):
    path = os.path.join(out, name + ".dcm")
    if how:
        encode(ds, how)
    ds.save_as(path, write_like_original=False)
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(expected(path), f)


def main(out):

    os.makedirs(out, exist_ok=True)
    grid = {
        "dims": [NX, NY, NZ],
        "spacing": [PS[1], PS[0], DZ],
        "origin": ORIGIN.tolist(),
        "direction": [ROW[0], COL[0], NORMAL[0], ROW[1], COL[1], NORMAL[1], ROW[2], COL[2], NORMAL[2]],
        "frameOfReferenceUid": FOR_UID,
        "studyInstanceUid": STUDY_UID,
        "seriesInstanceUid": SERIES_UID,
        "sopClassUid": CT,
        "sopInstanceUids": SOP_UIDS,
    }
    with open(os.path.join(out, "grid.json"), "w") as f:
        json.dump(grid, f)
    # variants
    save(binary(), out, "binary-unaligned")
    one = {1: masks()[1] & (np.arange(NZ)[:, None, None] == 2)}
    save(binary(one), out, "binary-single-frame")
    save(binary(syntax=ExplicitVRBigEndian), out, "binary-big-endian")
    save(fractional("PROBABILITY", 255), out, "fractional-probability")
    save(fractional("OCCUPANCY", 100), out, "fractional-occupancy")
    save(labelmap(8), out, "labelmap-8")
    save(labelmap(16), out, "labelmap-16")
    save(labelmap(8, palette=True), out, "labelmap-palette")
    save(binary(), out, "binary-deflated", "deflate")
    save(fractional("PROBABILITY", 255), out, "fractional-rle", "rle")
    save(labelmap(16), out, "labelmap-16-rle", "rle")
    save(labelmap(8), out, "labelmap-8-j2k", "j2k")
    save(labelmap(16), out, "labelmap-16-j2k", "j2k")
    save(fractional("OCCUPANCY", 100), out, "fractional-j2k", "j2k")
    # broken ones
    save(binary(numbers={1: 0, 2: 2, 3: 3}), out, "segment-number-0")
    save(binary(numbers={1: 1, 2: 1, 3: 3}), out, "duplicate-numbers")
    ds = binary()
    del ds.SegmentSequence[1].SegmentNumber
    save(ds, out, "missing-number")
    ds = binary()
    ds.SegmentSequence.append(segment_item(4, "pancreas"))
    save(ds, out, "unreferenced-segment")
    save(binary(frame_segment={3: 7}), out, "unknown-segment")
    ds = binary()
    ds.NumberOfFrames = 10
    ds.save_as(os.path.join(out, "frames-more-data.dcm"), write_like_original=False)
    ds = binary()
    ds.NumberOfFrames = int(ds.NumberOfFrames) + 2
    ds.save_as(os.path.join(out, "frames-less-data.dcm"), write_like_original=False)
    ds = binary()
    del ds.PerFrameFunctionalGroupsSequence[4:]
    ds.save_as(os.path.join(out, "no-per-frame.dcm"), write_like_original=False)
    off = binary(shift=(20.0 * math.cos(0.3), 20.0 * math.sin(0.3)))
    off.save_as(os.path.join(out, "off-grid.dcm"), write_like_original=False)
    save(binary(shift=(0.05, 0.0)), out, "near-grid")
    path = os.path.join(out, "tilted.dcm")
    tilted().save_as(path, write_like_original=False)
    with open(os.path.join(out, "tilted.json"), "w") as f:
        json.dump(tilted_expected(path), f)
    grid = dict(grid, dims=[NX, NY, TILT_NZ], spacing=[PS[1], PS[0], TILT_DZ], sopInstanceUids=None)
    grid["acquisition"] = {
        "reason": "gantry tilt; uneven slice gaps",
        "rows": NY,
        "columns": NX,
        "rowDirection": ROW.tolist(),
        "columnDirection": COL.tolist(),
        "pixelSpacing": list(PS),
        "slices": [{"position": tilted_position(s), "sopInstanceUid": TILT_UIDS[s], "frameNumber": 0} for s in range(NZ)],
    }
    with open(os.path.join(out, "tilted-grid.json"), "w") as f:
        json.dump(grid, f)
    ct_series(os.path.join(out, "ct"))
    print("ok")


if __name__ == "__main__":
    main(sys.argv[1])
