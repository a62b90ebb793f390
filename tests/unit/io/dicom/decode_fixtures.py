"""Generate DICOM fixtures (and their independent reference pixels) for the decode-*.test.ts files.

Usage: python3 decode_fixtures.py KIND OUTDIR
  htj2k     synthetic 16-bit signed and 12-bit unsigned 3-slice series, native and HTJ2K
            (.201/.202/.203, encoded losslessly with OpenJPH's ojph_compress); reference = the
            native pixels (ref-<kind>.npy, slices stacked)
  j2k       a J2K (opj_compress, lossless) slice, whole and with the second half of its
            codestream zeroed
  palette   PALETTE COLOR images (8-bit and 16-bit LUT entries); reference = pydicom's
            apply_color_lut (ref-palette8.npy, ref-palette16.npy)
  lut       a Modality LUT Sequence image (reference = pydicom's apply_modality_lut, ref-mlut.npy)
            and a VOI image with two window presets + explanations
Prints nothing on success; exits 2 when a tool it needs is missing.
"""
import os
import shutil
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

# pydicom 2.3 predates HTJ2K: register its transfer syntaxes so that it can write them.
from pydicom._uid_dict import UID_dictionary

for _uid, _name in [('201', 'HTJ2K Lossless'), ('202', 'HTJ2K Lossless RPCL'), ('203', 'HTJ2K')]:
    UID_dictionary.setdefault(f'1.2.840.10008.1.2.4.{_uid}', (_name, 'Transfer Syntax', '', '', _name.replace(' ', '')))

STUDY = '1.2.826.0.1.3680043.8.498.1'
FOR = '1.2.826.0.1.3680043.8.498.2'


def base(rows, cols, series_uid, k, ts, photometric='MONOCHROME2', spp=1):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = '1.2.840.10008.5.1.4.1.1.2'
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ts
    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = STUDY
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = FOR
    ds.Modality = 'CT'
    ds.PatientName = 'Fixture^Decode'
    ds.PatientID = 'decode'
    ds.SeriesNumber = 1
    ds.InstanceNumber = k + 1
    ds.ImagePositionPatient = [0.0, 0.0, 2.5 * k]
    ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
    ds.PixelSpacing = [0.8, 0.7]
    ds.SliceThickness = 2.5
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = photometric
    if spp > 1:
        ds.PlanarConfiguration = 0
    return ds


def pixels(ds, arr, bits_stored, signed, encoded=None):
    ds.BitsAllocated = 16 if arr.dtype.itemsize == 2 else 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if encoded is None:
        ds.PixelData = arr.tobytes()
    else:
        ds.PixelData = encapsulate([encoded])
        ds['PixelData'].is_undefined_length = True
        ds['PixelData'].VR = 'OB'


def synthetic(rows, cols, k, lo, hi, dtype, seed):
    """A smooth disc with noise and both extremes present (exercises sign and top bits)."""
    rng = np.random.default_rng(seed + k)
    y, x = np.mgrid[0:rows, 0:cols]
    r = np.hypot(y - rows / 2, x - cols / 2) / (min(rows, cols) / 2)
    a = lo + (hi - lo) * np.clip(1 - r, 0, 1) * (0.6 + 0.1 * k) + rng.integers(0, 40, (rows, cols))
    a = np.clip(a, lo, hi).astype(dtype)
    a[0, 0], a[0, 1] = lo, hi
    return a


def need(tool):
    if shutil.which(tool) is None:
        print(f'{tool} not found', file=sys.stderr)
        sys.exit(2)


HTJ2K = {'201': '1.2.840.10008.1.2.4.201', '202': '1.2.840.10008.1.2.4.202', '203': '1.2.840.10008.1.2.4.203'}
# kind: (min, max, dtype, BitsStored, signed)
HT_KINDS = {'s16': (-2048, 30000, np.int16, 16, True), 'u12': (0, 4095, np.uint16, 12, False)}
HT_ROWS, HT_COLS = 48, 64


def write_series(out, folder_name, slices, bits, signed, ts, streams=None):
    folder = os.path.join(out, folder_name)
    os.makedirs(folder, exist_ok=True)
    series = generate_uid()
    for k, a in enumerate(slices):
        ds = base(a.shape[0], a.shape[1], series, k, ts)
        pixels(ds, a, bits, signed, None if streams is None else streams[k])
        ds.save_as(os.path.join(folder, f'slice{k}.dcm'), write_like_original=False)


def htj2k(out):
    """u12: encoded by ojph_compress. s16: ojph_compress (Debian 0.9.0) writes negative samples of
    signed components in a form no other decoder reads back (OpenJPEG 2.5 gives 32767), so the
    test encodes s16 with the codec's own encoder (raw slices written here) and `htj2k-wrap`
    checks those codestreams with OpenJPEG's opj_decompress before wrapping them."""
    need('ojph_compress')
    for kind, (lo, hi, dtype, bits, signed) in HT_KINDS.items():
        slices = [synthetic(HT_ROWS, HT_COLS, k, lo, hi, dtype, 7) for k in range(3)]
        np.save(os.path.join(out, f'ref-{kind}.npy'), np.stack(slices))
        write_series(out, f'{kind}-native', slices, bits, signed, ExplicitVRLittleEndian)
        for k, a in enumerate(slices):
            a.astype(a.dtype.newbyteorder('<')).tofile(os.path.join(out, f'{kind}-{k}.raw'))
        if signed:
            continue
        for name, ts in HTJ2K.items():
            streams = []
            for k in range(len(slices)):
                j2c = os.path.join(out, 'tmp.j2c')
                subprocess.run(
                    ['ojph_compress', '-i', os.path.join(out, f'{kind}-{k}.raw'), '-o', j2c, '-reversible', 'true',
                     '-dims', f'{{{HT_COLS},{HT_ROWS}}}', '-num_comps', '1', '-signed', 'false', '-bit_depth',
                     str(bits), '-downsamp', '{1,1}', '-prog_order', 'RPCL' if name == '202' else 'LRCP'],
                    check=True, capture_output=True)
                streams.append(open(j2c, 'rb').read())
            write_series(out, f'{kind}-{name}', slices, bits, signed, ts, streams)


def htj2k_wrap(out):
    """Wrap s16-<k>.j2c (written by the test) as .201 and .203 series after checking each
    codestream against the source with OpenJPEG's decoder (exit 1 on any difference)."""
    need('opj_decompress')
    ref = np.load(os.path.join(out, 'ref-s16.npy'))
    streams = []
    for k in range(ref.shape[0]):
        j2c = os.path.join(out, f's16-{k}.j2c')
        raw = os.path.join(out, 'tmp-opj.raw')
        subprocess.run(['opj_decompress', '-i', j2c, '-o', raw], check=True, capture_output=True)
        got = np.fromfile(raw, '<i2').reshape(ref.shape[1:])
        os.remove(raw)
        if not np.array_equal(got, ref[k]):
            print(f'opj_decompress disagrees with the source on s16 slice {k}', file=sys.stderr)
            sys.exit(1)
        streams.append(open(j2c, 'rb').read())
    _, _, _, bits, signed = HT_KINDS['s16']
    for name in ('201', '203'):
        write_series(out, f's16-{name}', list(ref), bits, signed, HTJ2K[name], streams)


def j2k(out):
    """A 3-slice J2K series (opj_compress, lossless) and the same series with the second half of
    slice 1's codestream zeroed (j2k-damaged)."""
    need('opj_compress')
    rows, cols = 64, 80
    slices = [synthetic(rows, cols, k, 0, 4095, np.uint16, 3) for k in range(3)]
    np.save(os.path.join(out, 'ref-j2k.npy'), np.stack(slices))
    streams = []
    for a in slices:
        pgm = os.path.join(out, 'tmp.pgm')
        with open(pgm, 'wb') as f:
            f.write(f'P5\n{cols} {rows}\n4095\n'.encode())
            f.write(a.astype('>u2').tobytes())
        j2c = os.path.join(out, 'tmp.j2k')
        subprocess.run(['opj_compress', '-i', pgm, '-o', j2c], check=True, capture_output=True)
        streams.append(open(j2c, 'rb').read())
    write_series(out, 'j2k-whole', slices, 12, False, '1.2.840.10008.1.2.4.90', streams)
    s = streams[1]
    damaged = list(streams)
    damaged[1] = s[: len(s) // 2] + bytes(len(s) - len(s) // 2)
    write_series(out, 'j2k-damaged', slices, 12, False, '1.2.840.10008.1.2.4.90', damaged)


def jpeg12(out):
    """A 12-bit native series compressed with DCMTK's dcmcjpeg +ee (JPEG Extended, process 4),
    reference = DCMTK's dcmdjpeg decode (IJG library); jpeg12-truncated: slice 1's frame cut in half;
    jpegll: the same series as JPEG Lossless SV1 (dcmcjpeg's default)."""
    need('dcmcjpeg')
    need('dcmdjpeg')
    slices = [synthetic(40, 56, k, 0, 4095, np.uint16, 11) for k in range(3)]
    write_series(out, 'jpeg12-native', slices, 12, False, ExplicitVRLittleEndian)
    ref = []
    for name in ('jpeg12', 'jpeg12-truncated', 'jpegll'):
        os.makedirs(os.path.join(out, name), exist_ok=True)
    for k in range(3):
        src = os.path.join(out, 'jpeg12-native', f'slice{k}.dcm')
        dst = os.path.join(out, 'jpeg12', f'slice{k}.dcm')
        subprocess.run(['dcmcjpeg', '+ee', src, dst], check=True, capture_output=True)
        # and JPEG Lossless SV1 (dcmcjpeg's default) of the same slice
        subprocess.run(['dcmcjpeg', src, os.path.join(out, 'jpegll', f'slice{k}.dcm')], check=True, capture_output=True)
        back = os.path.join(out, 'tmp-back.dcm')
        subprocess.run(['dcmdjpeg', dst, back], check=True, capture_output=True)
        ref.append(pydicom.dcmread(back).pixel_array)
        os.remove(back)
        ds = pydicom.dcmread(dst)
        if k == 1:
            frame = pydicom.encaps.defragment_data(ds.PixelData)
            ds.PixelData = encapsulate([frame[: len(frame) // 2]])
        ds.save_as(os.path.join(out, 'jpeg12-truncated', f'slice{k}.dcm'))
    np.save(os.path.join(out, 'ref-jpeg12.npy'), np.stack(ref).astype('<u2'))


def luminance(rgb):
    """values.ts's colour -> grey conversion, same operation order, float64 then float32."""
    rgb = rgb.astype(np.float64)
    return (0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]).astype('<f4')


def palette(out):
    """PALETTE COLOR series: 8-bit indices with 8-bit entries, and 16-bit indices with 16-bit
    entries and first mapped value 10 (indices below and past the table). Reference:
    pydicom's apply_color_lut, then luminance (ref-palette8/16.npy) and the RGB (ref-*-rgb.npy)."""
    from pydicom.dataset import Dataset as _D  # noqa: F401
    from pydicom.pixel_data_handlers.util import apply_color_lut
    for name, bits, entries, first, depth in [('palette8', 8, 256, 0, 8), ('palette16', 16, 1000, 10, 16)]:
        dtype = np.uint8 if bits == 8 else np.uint16
        hi = 255 if bits == 8 else 1100
        slices = [synthetic(32, 40, k, 0, hi, dtype, 5) for k in range(2)]
        i = np.arange(entries, dtype=np.float64)
        top = 255 if depth == 8 else 65535
        luts = [np.round(top * (i / (entries - 1)) ** g).astype(np.uint8 if depth == 8 else '<u2') for g in (0.5, 1.0, 2.0)]
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        series = generate_uid()
        ref, rgbs = [], []
        for k, a in enumerate(slices):
            ds = base(32, 40, series, k, ExplicitVRLittleEndian, photometric='PALETTE COLOR')
            ds.Modality = 'OT'
            pixels(ds, a, bits, False)
            for c, lut in zip(('Red', 'Green', 'Blue'), luts):
                setattr(ds, f'{c}PaletteColorLookupTableDescriptor', [entries if entries < 65536 else 0, first, depth])
                ds[f'{c}PaletteColorLookupTableDescriptor'].VR = 'US'
                setattr(ds, f'{c}PaletteColorLookupTableData', lut.tobytes())
                ds[f'{c}PaletteColorLookupTableData'].VR = 'OW'
            ds.save_as(os.path.join(folder, f'slice{k}.dcm'), write_like_original=False)
            back = pydicom.dcmread(os.path.join(folder, f'slice{k}.dcm'))
            rgb = apply_color_lut(back.pixel_array, back)
            rgbs.append(rgb)
            ref.append(luminance(rgb))
        np.save(os.path.join(out, f'ref-{name}.npy'), np.stack(ref))
        np.save(os.path.join(out, f'ref-{name}-rgb.npy'), np.stack(rgbs).astype('<u2'))


def lut(out):
    """mlut: 12-bit stored values through a Modality LUT Sequence (first mapped 100, 3000 entries,
    values up to 40000, a RescaleSlope 2 that the LUT replaces); reference = pydicom's
    apply_modality_lut (ref-mlut.npy, float32). voi: two windows with explanations and a VOI LUT
    Sequence table (a ramp over inputs 500..1500)."""
    from pydicom.pixel_data_handlers.util import apply_modality_lut
    slices = [synthetic(24, 28, k, 0, 4095, np.uint16, 9) for k in range(2)]
    folder = os.path.join(out, 'mlut')
    os.makedirs(folder, exist_ok=True)
    series = generate_uid()
    ref = []
    table = np.round(40000 * (np.arange(3000) / 2999.0) ** 1.7).astype('<u2')
    for k, a in enumerate(slices):
        ds = base(24, 28, series, k, ExplicitVRLittleEndian)
        pixels(ds, a, 12, False)
        ds.RescaleSlope, ds.RescaleIntercept = 2, -5
        item = Dataset()
        item.LUTDescriptor = [3000, 100, 16]
        item['LUTDescriptor'].VR = 'US'
        item.ModalityLUTType = 'HU'
        item.LUTData = table.tobytes()
        item['LUTData'].VR = 'OW'
        ds.ModalityLUTSequence = [item]
        path = os.path.join(folder, f'slice{k}.dcm')
        ds.save_as(path, write_like_original=False)
        back = pydicom.dcmread(path)
        ref.append(apply_modality_lut(back.pixel_array, back).astype('<f4'))
    np.save(os.path.join(out, 'ref-mlut.npy'), np.stack(ref))

    folder = os.path.join(out, 'voi')
    os.makedirs(folder, exist_ok=True)
    series = generate_uid()
    for k, a in enumerate(slices):
        ds = base(24, 28, series, k, ExplicitVRLittleEndian)
        pixels(ds, a, 12, False)
        ds.WindowCenter = [40, 400]
        ds.WindowWidth = [400, 1800]
        ds.WindowCenterWidthExplanation = ['SOFT', 'BONE']
        item = Dataset()
        item.LUTDescriptor = [2000, 0, 12]
        item['LUTDescriptor'].VR = 'US'
        ramp = np.clip((np.arange(2000) - 500) * 4095 // 1000, 0, 4095).astype('<u2')
        item.LUTData = ramp.tobytes()
        item['LUTData'].VR = 'OW'
        item.LUTExplanation = 'RAMP'
        ds.VOILUTSequence = [item]
        ds.save_as(os.path.join(folder, f'slice{k}.dcm'), write_like_original=False)


if __name__ == '__main__':
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    {'htj2k': htj2k, 'htj2k-wrap': htj2k_wrap, 'j2k': j2k, 'jpeg12': jpeg12, 'palette': palette, 'lut': lut}[kind](out)
    for t in ('tmp.raw', 'tmp.j2c', 'tmp.pgm', 'tmp.j2k'):
        if os.path.exists(os.path.join(out, t)):
            os.remove(os.path.join(out, t))
