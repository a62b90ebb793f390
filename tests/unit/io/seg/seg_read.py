"""Independent reader for the SEG tests: pydicom decodes a DICOM SEG and prints, as JSON,
per-segment voxel counts and per frame its segment, ImagePositionPatient (per-frame or shared),
voxel count and the sum of the flat in-frame indices (row * columns + column) of its voxels.

Usage: python3 seg_read.py SEG.dcm
"""
import json
import sys

import numpy as np
import pydicom


def position(ds, item):
    for group in (item, ds.SharedFunctionalGroupsSequence[0]):
        if "PlanePositionSequence" in group:
            return [float(v) for v in group.PlanePositionSequence[0].ImagePositionPatient]
    return None


def main(path):
    ds = pydicom.dcmread(path)
    pixels = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    if ds.SegmentationType == "FRACTIONAL":
        pixels = pixels * 2 >= int(ds.MaximumFractionalValue)
    flat = np.arange(int(ds.Rows) * int(ds.Columns), dtype=np.int64).reshape(int(ds.Rows), int(ds.Columns))
    frames = []
    counts = {}
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        seg = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        on = pixels[f] > 0
        n = int(on.sum())
        counts[seg] = counts.get(seg, 0) + n
        frames.append({"segment": seg, "position": position(ds, item), "count": n, "sum": int(flat[on].sum())})
    print(json.dumps({"segments": counts, "frames": frames, "overlap": str(ds.get("SegmentsOverlap", ""))}))


if __name__ == "__main__":
    main(sys.argv[1])
