"""Builders of small DICOM SEG datasets for the SEG reader tests (see make_segs.py): the reference
grid (11 x 7 pixels, so 1-bit frames are not byte aligned; 5 slices; rotated 20 degrees in plane),
three overlapping analytic segments, BINARY / FRACTIONAL / LABELMAP datasets, pixel data re-encoding
(RLE by pydicom, lossless JPEG 2000 by Pillow/OpenJPEG, deflate by pydicom), and a tilted, unevenly
spaced variant of the grid whose acquired planes the SEG frames lie on.
"""
import io
import math
import os

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.encaps import encapsulate
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    JPEG2000Lossless,
    RLELossless,
)
from PIL import Image

NX, NY, NZ = 11, 7, 5  # columns, rows, slices: 77 pixels per frame, so 1-bit frames are not byte aligned
PS = (0.7, 0.8)  # PixelSpacing: between rows, between columns
DZ = 2.5
ANGLE = math.radians(20)
ROW = np.array([math.cos(ANGLE), math.sin(ANGLE), 0.0])
COL = np.array([-math.sin(ANGLE), math.cos(ANGLE), 0.0])
NORMAL = np.cross(ROW, COL)
ORIGIN = np.array([-10.0, 20.0, -30.0])
FOR_UID = "1.2.826.0.1.3680043.8.498.1"
STUDY_UID = "1.2.826.0.1.3680043.8.498.2"
SERIES_UID = "1.2.826.0.1.3680043.8.498.3"
SOP_UIDS = ["1.2.826.0.1.3680043.8.498.10.%d" % k for k in range(NZ)]
CT = "1.2.840.10008.5.1.4.1.1.2"
SEG = "1.2.840.10008.5.1.4.1.1.66.4"
LABELMAP_SEG = "1.2.840.10008.5.1.4.1.1.66.7"
NAMES = {1: "liver", 2: "spleen", 3: "kidney", 300: "vertebra"}


def position(k, shift=(0.0, 0.0)):
    p = ORIGIN + k * DZ * NORMAL + shift[0] * ROW + shift[1] * COL
    return [float("%.6f" % v) for v in p]


def masks():
    """Three overlapping analytic shapes, segment number -> (NZ, NY, NX) bool."""
    k, j, i = np.mgrid[0:NZ, 0:NY, 0:NX]
    return {
        1: ((i - 4) ** 2 + (j - 3) ** 2 <= 6 + k) & (k >= 1),
        2: (i >= 6) & (j <= 4) & (k <= 3),
        3: (i + j + k) % 5 == 0,
    }


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def segment_item(number, label):
    s = Dataset()
    if number is not None:
        s.SegmentNumber = number
    s.SegmentLabel = label
    s.SegmentAlgorithmType = "MANUAL"
    s.SegmentedPropertyCategoryCodeSequence = Sequence([code("123037004", "SCT", "Anatomical Structure")])
    s.SegmentedPropertyTypeCodeSequence = Sequence([code("85756007", "SCT", "Tissue")])
    return s


def base(sop_class, syntax=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.99"
    meta.TransferSyntaxUID = syntax
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.8.498.100"
    ds = FileDataset("seg.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = syntax != ExplicitVRBigEndian
    ds.is_implicit_VR = False
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality = "SEG"
    ds.StudyInstanceUID, ds.SeriesInstanceUID = STUDY_UID, "1.2.826.0.1.3680043.8.498.4"
    ds.FrameOfReferenceUID = FOR_UID
    ds.SeriesDescription = "test"
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelRepresentation = 0
    ds.Rows, ds.Columns = NY, NX
    shared = Dataset()
    o = Dataset()
    o.ImageOrientationPatient = [float("%.8f" % v) for v in (*ROW, *COL)]
    shared.PlaneOrientationSequence = Sequence([o])
    m = Dataset()
    m.PixelSpacing = list(PS)
    m.SliceThickness = DZ
    shared.PixelMeasuresSequence = Sequence([m])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    return ds


def frame_item(k, segment=None, shift=(0.0, 0.0), source=True):
    item = Dataset()
    if source:
        src = Dataset()
        src.ReferencedSOPClassUID, src.ReferencedSOPInstanceUID = CT, SOP_UIDS[k]
        der = Dataset()
        der.SourceImageSequence = Sequence([src])
        item.DerivationImageSequence = Sequence([der])
    pos = Dataset()
    pos.ImagePositionPatient = position(k, shift)
    item.PlanePositionSequence = Sequence([pos])
    if segment is not None:
        sid = Dataset()
        sid.ReferencedSegmentNumber = segment
        item.SegmentIdentificationSequence = Sequence([sid])
    return item


def binary(segs=None, numbers=None, frame_segment=None, shift=(0.0, 0.0), syntax=ExplicitVRLittleEndian):
    """BINARY SEG: one frame per (segment, slice with voxels); bits packed across frames."""
    segs = segs or masks()
    ds = base(SEG, syntax)
    ds.SegmentationType = "BINARY"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 1, 1, 0
    numbers = numbers or {n: n for n in segs}
    ds.SegmentSequence = Sequence([segment_item(numbers[n], NAMES.get(n, "seg %d" % n)) for n in segs])
    frames, items = [], []
    for n, m in segs.items():
        for k in range(NZ):
            if m[k].any():
                frames.append(m[k])
                fs = (frame_segment or {}).get(n, numbers[n])
                items.append(frame_item(k, fs, shift))
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.NumberOfFrames = len(frames)
    bits = np.packbits(np.stack(frames).ravel().astype(np.uint8), bitorder="little")
    ds.PixelData = bits.tobytes() + (b"\0" if len(bits) % 2 else b"")
    ds["PixelData"].VR = "OB"
    return ds


def fractional(kind, maxv):
    segs = masks()
    ds = base(SEG)
    ds.SegmentationType = "FRACTIONAL"
    ds.SegmentationFractionalType = kind
    ds.MaximumFractionalValue = maxv
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
    ds.SegmentSequence = Sequence([segment_item(n, NAMES[n]) for n in (1, 2)])
    rng = np.random.default_rng(7)
    frames, items = [], []
    for n in (1, 2):
        for k in range(NZ):
            # in: >= half the maximum; out: just below half, or 0
            v = np.where(segs[n][k], rng.integers((maxv + 1) // 2, maxv + 1, (NY, NX)), rng.integers(0, (maxv + 1) // 2, (NY, NX)))
            frames.append(v.astype(np.uint8))
            items.append(frame_item(k, n))
    ds.PerFrameFunctionalGroupsSequence = Sequence(items)
    ds.NumberOfFrames = len(frames)
    ds.PixelData = np.stack(frames).tobytes()
    ds["PixelData"].VR = "OB"
    return ds


def labelmap(bits, palette=False):
    segs = masks()
    lab = np.zeros((NZ, NY, NX), np.uint16)
    numbers = {1: 1, 2: 2, 3: 300 if bits == 16 else 3}
    for n in (3, 2, 1):  # later ones win where they overlap
        lab[segs[n]] = numbers[n]
    ds = base(LABELMAP_SEG)
    ds.SegmentationType = "LABELMAP"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, bits, bits - 1
    ds.PixelPaddingValue = 0
    ds.SegmentSequence = Sequence([segment_item(numbers[n], NAMES[numbers[n]]) for n in (1, 2, 3)])
    ds.PerFrameFunctionalGroupsSequence = Sequence([frame_item(k) for k in range(NZ)])
    ds.NumberOfFrames = NZ
    if palette:
        ds.PhotometricInterpretation = "PALETTE COLOR"
        size = 256
        for c, tag in enumerate(("Red", "Green", "Blue")):
            setattr(ds, "%sPaletteColorLookupTableDescriptor" % tag, [size, 0, 16])
            lut = (np.arange(size, dtype=np.uint16) * (4000 + 9000 * c)) & 0xFFFF
            setattr(ds, "%sPaletteColorLookupTableData" % tag, lut.astype("<u2").tobytes())
    data = lab.astype(np.uint8 if bits == 8 else "<u2").tobytes()
    ds.PixelData = data + (b"\0" if len(data) % 2 else b"")
    ds["PixelData"].VR = "OB" if bits == 8 else "OW"
    return ds


def encode(ds, how):
    """Re-encode the pixel data: 'rle' (pydicom's encoder), 'j2k' (lossless JPEG 2000 codestreams
    from Pillow/OpenJPEG, one fragment per frame) or 'deflate' (the whole dataset)."""
    if how == "deflate":
        ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
        return
    frames = ds.pixel_array.reshape(int(ds.NumberOfFrames), int(ds.Rows), int(ds.Columns))
    if how == "rle":
        ds.compress(RLELossless, frames)
        return
    streams = []
    for fr in frames:
        buf = io.BytesIO()
        img = Image.fromarray(fr.astype(np.uint8)) if ds.BitsAllocated == 8 else Image.fromarray(fr.astype(np.uint16), "I;16")
        img.save(buf, "JPEG2000", codec="j2k", irreversible=False)
        streams.append(buf.getvalue())
    ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
    ds.PixelData = encapsulate(streams, has_bot=True)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True


TILT_Z = [0.0, 2.1, 5.3, 7.2, 10.4]  # acquired planes along the normal: uneven gaps
TILT_SHEAR = 0.37  # mm along the column direction per acquired slice (gantry tilt)
TILT_NZ, TILT_DZ = 6, 2.0  # the regular grid a loader would resample them onto
TILT_UIDS = ["1.2.826.0.1.3680043.8.498.20.%d" % s for s in range(NZ)]


def tilted_position(s):
    p = ORIGIN + TILT_Z[s] * NORMAL + s * TILT_SHEAR * COL
    return [float("%.6f" % v) for v in p]


def tilted():
    """BINARY SEG on the acquired images of a tilted, unevenly spaced series."""
    ds = binary()
    for item in ds.PerFrameFunctionalGroupsSequence:
        src = item.DerivationImageSequence[0].SourceImageSequence[0]
        s = SOP_UIDS.index(src.ReferencedSOPInstanceUID)
        src.ReferencedSOPInstanceUID = TILT_UIDS[s]
        item.PlanePositionSequence[0].ImagePositionPatient = tilted_position(s)
    return ds


def ct_series(out):
    """The reference series itself: NZ single-frame CT slices on the grid (what --ref reads)."""
    os.makedirs(out, exist_ok=True)
    for k in range(NZ):
        ds = base(CT)
        for key in ("SharedFunctionalGroupsSequence", "SegmentSequence"):
            if key in ds:
                delattr(ds, key)
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = SOP_UIDS[k]
        ds.SeriesInstanceUID = SERIES_UID
        ds.Modality = "CT"
        ds.ImagePositionPatient = position(k)
        ds.ImageOrientationPatient = [float("%.8f" % v) for v in (*ROW, *COL)]
        ds.PixelSpacing = list(PS)
        ds.SliceThickness = DZ
        ds.InstanceNumber = k + 1
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, 0
        ds.PixelData = (np.arange(NX * NY, dtype="<i2") + 100 * k).tobytes()
        ds.save_as(os.path.join(out, "ct%d.dcm" % k), write_like_original=False)

