"""Independent decoder for the SEG writer tests: pydicom + numpy read a DICOM SEG (BINARY or
LABELMAP) and write its frames as labels, without any voxseg code.

Usage:
  python3 write_decode.py SEG.dcm OUT.raw
      OUT.raw: uint16 little endian, frames x rows x columns; a BINARY frame holds its segment
      number where its bit is set, a LABELMAP frame its pixel values.
  python3 write_decode.py SEG.dcm OUT.raw ORIGIN_X,Y,Z KDIR_X,Y,Z SPACING_K NZ
      OUT.raw: uint16, NZ x rows x columns, frames stacked onto a regular grid: slice k where the
      frame position lies at ORIGIN + k * SPACING_K * KDIR (it must, within 1e-3 of a slice).
Prints JSON: SOP class, type, bits, photometric, per frame its position, segment (BINARY) and
referenced SOP Instance UID / frame number, the referenced series and study UIDs.
"""
import json
import sys

import numpy as np
import pydicom


def main(path, out, *grid_args):
    ds = pydicom.dcmread(path)
    n, rows, cols = int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns)
    px = ds.pixel_array.reshape(n, rows, cols)
    kind = str(ds.SegmentationType)
    grid = None
    if grid_args:
        origin = np.array([float(v) for v in grid_args[0].split(",")])
        kdir = np.array([float(v) for v in grid_args[1].split(",")])
        sk, nz = float(grid_args[2]), int(grid_args[3])
        grid = np.zeros((nz, rows, cols), np.uint16)
    else:
        labels = np.zeros((n, rows, cols), np.uint16)
    frames = []
    for f, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        pos = [float(v) for v in item.PlanePositionSequence[0].ImagePositionPatient]
        rec = {"position": pos}
        if "SegmentIdentificationSequence" in item:
            rec["segment"] = int(item.SegmentIdentificationSequence[0].ReferencedSegmentNumber)
        if "DerivationImageSequence" in item:
            src = item.DerivationImageSequence[0].SourceImageSequence[0]
            rec["uid"] = str(src.ReferencedSOPInstanceUID)
            rec["frame"] = int(src.get("ReferencedFrameNumber", 0) or 0)
        m = px[f] > 0
        value = px[f][m] if kind != "BINARY" else rec["segment"]
        if grid is None:
            labels[f][m] = value
        else:
            off = np.array(pos) - origin
            q = float(off @ kdir) / sk
            k = int(round(q))
            assert abs(q - k) < 1e-3 and np.linalg.norm(off - k * sk * kdir) < 1e-3, f"frame {f + 1} off the grid"
            assert not (grid[k][m] > 0).any(), f"frame {f + 1} overlaps an earlier frame"
            grid[k][m] = value
        frames.append(rec)
    if grid is not None:
        labels = grid
    labels.astype("<u2").tofile(out)
    series = ds.ReferencedSeriesSequence[0] if "ReferencedSeriesSequence" in ds else None
    shared = ds.SharedFunctionalGroupsSequence[0]
    print(json.dumps({
        "sopClass": str(ds.SOPClassUID),
        "mediaClass": str(ds.file_meta.MediaStorageSOPClassUID),
        "type": kind,
        "bits": int(ds.BitsAllocated),
        "photometric": str(ds.PhotometricInterpretation),
        "padding": int(ds.PixelPaddingValue) if "PixelPaddingValue" in ds else None,
        "orientation": [float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient],
        "spacing": [float(v) for v in shared.PixelMeasuresSequence[0].PixelSpacing],
        "study": str(ds.StudyInstanceUID),
        "series": str(series.SeriesInstanceUID) if series else None,
        "referenced": [str(i.ReferencedSOPInstanceUID) for i in series.ReferencedInstanceSequence] if series else [],
        "segments": [int(s.SegmentNumber) for s in ds.SegmentSequence],
        "frames": frames,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
