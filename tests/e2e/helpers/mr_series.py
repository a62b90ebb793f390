"""Write a NIfTI volume as a DICOM MR series (MR Image Storage, one file per k-slice).

Usage: mr_series.py NIFTI OUT_DIR [STEP] [FIRST]

Geometry comes from the NIfTI affine (RAS+, converted to DICOM LPS): ImageOrientationPatient is
the unit LPS direction of index axes i (along a row) and j (down a column), ImagePositionPatient of
slice k is the affine applied to (0, 0, k). Pixel [row j, column i] = voxel (i, j, k), stored as
unsigned 16-bit. InstanceNumber follows the acquisition order: FIRST = "top" (default) numbers
from the most superior slice (highest LPS z) down, so it runs opposite to k when k goes up the
head; "bottom" numbers from the feet up. STEP > 1 keeps every STEP-th slice (a smaller series).
Prints one JSON object: {"files": [{"name", "instanceNumber", "position", "sopInstanceUid"}],
"orientation": [6 numbers], "rows", "columns"}.
"""
import json
import os
import sys

import nibabel as nib
import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
ROOT = "1.2.826.0.1.3680043.10.1123"


def main():
    src, out = sys.argv[1], sys.argv[2]
    step = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    first = sys.argv[4] if len(sys.argv) > 4 else "top"
    img = nib.load(src)
    data = np.asanyarray(img.dataobj)
    if data.ndim > 3:
        data = data[..., 0]
    vol = np.clip(np.rint(data.astype(np.float64)), 0, 65535).astype(np.uint16)
    aff = img.affine
    lps = np.diag([-1.0, -1.0, 1.0])
    m = lps @ aff[:3, :3]
    t = lps @ aff[:3, 3]
    spacing = np.linalg.norm(m, axis=0)
    row_dir = m[:, 0] / spacing[0]
    col_dir = m[:, 1] / spacing[1]
    nx, ny, nz = vol.shape
    ks = list(range(0, nz, step))
    positions = {k: t + m[:, 2] * k for k in ks}
    # InstanceNumber 1 = the most superior (LPS +z) or the most inferior slice.
    order = sorted(ks, key=lambda k: -positions[k][2] if first == "top" else positions[k][2])
    number = {k: n + 1 for n, k in enumerate(order)}
    os.makedirs(out, exist_ok=True)
    study, series, frame = f"{ROOT}.1", f"{ROOT}.2", f"{ROOT}.3"
    listing = []
    for k in ks:
        n = number[k]
        sop = f"{ROOT}.4.{n}"
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = MR_IMAGE_STORAGE
        meta.MediaStorageSOPInstanceUID = sop
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = f"{ROOT}.9"
        name = f"MR{n:04d}.dcm"
        ds = FileDataset(name, Dataset(), file_meta=meta, preamble=b"\0" * 128)
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.SOPClassUID = MR_IMAGE_STORAGE
        ds.SOPInstanceUID = sop
        ds.StudyInstanceUID = study
        ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame
        ds.Modality = "MR"
        ds.PatientName = "Keyboard^Test"
        ds.PatientID = "KBD-001"
        ds.PatientBirthDate = ""
        ds.PatientSex = "O"
        ds.StudyDate = "20240105"
        ds.StudyTime = "101500"
        ds.StudyID = "1"
        ds.AccessionNumber = ""
        ds.ReferringPhysicianName = ""
        ds.SeriesNumber = 3
        ds.SeriesDescription = "T1 brain (skull-stripped)"
        ds.BodyPartExamined = "HEAD"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "NONE"]
        ds.ScanningSequence = "GR"
        ds.SequenceVariant = "SP"
        ds.ScanOptions = ""
        ds.MRAcquisitionType = "3D"
        ds.RepetitionTime = "2000"
        ds.EchoTime = "3"
        ds.EchoTrainLength = 1
        ds.InstanceNumber = n
        ds.ImagePositionPatient = [f"{x:.6f}" for x in positions[k]]
        ds.ImageOrientationPatient = [f"{x:.8f}" for x in list(row_dir) + list(col_dir)]
        ds.PixelSpacing = [f"{spacing[1]:.6f}", f"{spacing[0]:.6f}"]
        ds.SliceThickness = f"{spacing[2] * step:.6f}"
        ds.SliceLocation = f"{positions[k][2]:.6f}"
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ny
        ds.Columns = nx
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 0
        ds.PixelData = np.ascontiguousarray(vol[:, :, k].T).tobytes()
        ds.save_as(os.path.join(out, name), write_like_original=False)
        listing.append(
            {"name": name, "instanceNumber": n, "position": [float(x) for x in positions[k]], "sopInstanceUid": sop}
        )
    json.dump(
        {
            "files": listing,
            "orientation": [float(x) for x in list(row_dir) + list(col_dir)],
            "rows": int(ny),
            "columns": int(nx),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
