import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  isSupportedTransferSyntax,
  transferSyntaxName,
  type FrameInfo,
} from '../../../../src/io/dicom/decode';

const frame = (transferSyntaxUid: string): FrameInfo => ({
  transferSyntaxUid,
  rows: 2,
  columns: 2,
  bitsAllocated: 8,
  bitsStored: 8,
  pixelRepresentation: 0,
  samplesPerPixel: 1,
  planarConfiguration: 0,
  photometricInterpretation: 'MONOCHROME2',
});

describe('transfer syntax table', () => {
  it('knows which syntaxes decode', () => {
    for (const uid of [
      '1.2.840.10008.1.2',
      '1.2.840.10008.1.2.1',
      '1.2.840.10008.1.2.1.99',
      '1.2.840.10008.1.2.2',
      '1.2.840.10008.1.2.5',
      '1.2.840.10008.1.2.4.50',
      '1.2.840.10008.1.2.4.51',
      '1.2.840.10008.1.2.4.57',
      '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.80',
      '1.2.840.10008.1.2.4.81',
      '1.2.840.10008.1.2.4.90',
      '1.2.840.10008.1.2.4.91',
      '1.2.840.10008.1.2.4.201',
      '1.2.840.10008.1.2.4.202',
      '1.2.840.10008.1.2.4.203',
    ]) {
      expect(isSupportedTransferSyntax(uid), uid).toBe(true);
    }
    // UI values may carry a trailing NUL pad
    expect(isSupportedTransferSyntax('1.2.840.10008.1.2.4.90\0')).toBe(true);
    for (const uid of ['1.2.840.10008.1.2.4.92', '1.2.840.10008.1.2.4.100', '1.2.3.4', '']) {
      expect(isSupportedTransferSyntax(uid), uid).toBe(false);
    }
  });

  it('names syntaxes for messages', () => {
    expect(transferSyntaxName('1.2.840.10008.1.2.4.70')).toMatch(/JPEG Lossless.*First-Order/);
    expect(transferSyntaxName('1.2.840.10008.1.2.2')).toBe('Explicit VR Big Endian');
    expect(transferSyntaxName('1.2.840.10008.1.2.4.201')).toBe('HTJ2K (Lossless Only)');
    expect(transferSyntaxName('1.2.3.4')).toBe('unknown transfer syntax');
  });

  it('rejects unsupported syntaxes naming them', async () => {
    await expect(decodeFrame(new Uint8Array(4), frame('1.2.840.10008.1.2.4.102'))).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(
        /^transfer syntax MPEG-4 AVC\/H\.264 High Profile \(1\.2\.840\.10008\.1\.2\.4\.102\) is not supported: video/,
      ),
    });
    await expect(decodeFrame(new Uint8Array(4), frame('1.2.3.4'))).rejects.toMatchObject({
      code: 'unsupported',
      message: 'transfer syntax unknown transfer syntax (1.2.3.4) is not supported',
    });
  });

  it('reports corrupt compressed frames as decode-failed', async () => {
    const junk = new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, 0, 2, 0, 2, 1, 1, 0x11, 0, 0xff, 0xd9]);
    for (const uid of [
      '1.2.840.10008.1.2.4.50',
      '1.2.840.10008.1.2.4.80',
      '1.2.840.10008.1.2.4.90',
      '1.2.840.10008.1.2.4.70',
      '1.2.840.10008.1.2.4.201',
    ]) {
      await expect(decodeFrame(junk, frame(uid)), uid).rejects.toMatchObject({
        name: 'VoxsegError',
        code: 'decode-failed',
      });
    }
    // the same junk declared 12-bit goes to the 12-bit DCT decoder: no scan, refused
    const junk12 = junk.slice();
    junk12[6] = 12;
    await expect(decodeFrame(junk12, frame('1.2.840.10008.1.2.4.51'))).rejects.toMatchObject({
      code: 'decode-failed',
      message: expect.stringMatching(/no scan/),
    });
  });
});
