"""Reference decode of DICOM files for decode-reference.test.ts.

Usage: python3 decode_reference.py OUTDIR FILE...
For each FILE (index i) writes OUTDIR/<i>.npy with the stored pixel values of all frames,
shape (frames, rows, columns[, samples]), colour as RGB, and prints one JSON line
{"i", "via", "error"}. The decoder is pydicom's pixel_array; when pydicom has no handler for the
syntax (no GDCM / pylibjpeg here), the file is first converted to native with `gdcmconv --raw`,
else DCMTK's `dcmdjpeg`, and that is read by pydicom ("via" says which).
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import convert_color_space


def load(path):
    if path.endswith('.gz'):
        with gzip.open(path) as f:
            tmp = tempfile.NamedTemporaryFile(suffix='.dcm', delete=False)
            tmp.write(f.read())
            tmp.close()
            return tmp.name, True
    return path, False


def frames(ds):
    arr = ds.pixel_array
    n = int(getattr(ds, 'NumberOfFrames', 1) or 1)
    spp = int(getattr(ds, 'SamplesPerPixel', 1))
    if n == 1:
        arr = arr[None]
    pi = str(getattr(ds, 'PhotometricInterpretation', '')).strip()
    if spp == 3 and pi.startswith('YBR_FULL'):
        arr = np.stack([convert_color_space(f, pi, 'RGB') for f in arr])
    return arr


def decode(path):
    try:
        return frames(pydicom.dcmread(path)), 'pydicom'
    except Exception as first:  # noqa: BLE001 - any handler failure falls back to a converter
        out = tempfile.NamedTemporaryFile(suffix='.dcm', delete=False).name
        for tool, args in (('gdcmconv', ['gdcmconv', '--raw', path, out]), ('dcmdjpeg', ['dcmdjpeg', path, out])):
            try:
                r = subprocess.run(args, capture_output=True, timeout=60)
                if r.returncode == 0 and os.path.getsize(out) > 0:
                    return frames(pydicom.dcmread(out)), f'{tool} + pydicom'
            except Exception:  # noqa: BLE001
                pass
            finally:
                pass
        raise first


def main():
    out = sys.argv[1]
    for i, f in enumerate(sys.argv[2:]):
        path, temp = load(f)
        try:
            arr, via = decode(path)
            np.save(os.path.join(out, f'{i}.npy'), np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder('<'))))
            print(json.dumps({'i': i, 'via': via, 'error': None, 'dtype': str(arr.dtype)}))
        except Exception as e:  # noqa: BLE001
            print(json.dumps({'i': i, 'via': None, 'error': f'{type(e).__name__}: {e}'[:200]}))
        finally:
            if temp:
                os.remove(path)


if __name__ == '__main__':
    main()
