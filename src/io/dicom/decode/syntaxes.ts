/**
 * Transfer syntax table: UID -> human readable name and the codec family that decodes its
 * pixel frames. Families without a decoder are listed only so that messages can name them.
 */
export type CodecFamily =
  | 'native-le' // uncompressed little endian (also deflated: the parser inflates the dataset)
  | 'native-be' // uncompressed explicit VR big endian
  | 'rle'
  | 'jpeg-baseline' // JPEG processes 1, 2 and 4 (DCT, lossy) -> libjpeg-turbo (8-bit only)
  | 'jpeg-lossless' // JPEG process 14 -> jpeg-lossless-decoder-js
  | 'jpeg-ls' // -> CharLS
  | 'jpeg-2000' // -> OpenJPEG
  | 'htj2k' // High-Throughput JPEG 2000 -> OpenJPH
  | 'none'; // known, but no decoder

interface SyntaxEntry {
  name: string;
  family: CodecFamily;
  /** Why there is no decoder (family 'none'). */
  why?: string;
}

const VIDEO_WHY = 'video transfer syntaxes are not supported';

const TABLE: Record<string, SyntaxEntry> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', family: 'native-le' },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', family: 'native-le' },
  '1.2.840.10008.1.2.1.98': { name: 'Encapsulated Uncompressed Explicit VR Little Endian', family: 'native-le' },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', family: 'native-le' },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', family: 'native-be' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', family: 'rle' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', family: 'jpeg-baseline' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', family: 'jpeg-baseline' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', family: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': {
    name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)',
    family: 'jpeg-lossless',
  },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless', family: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Near-Lossless', family: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 (Lossless Only)', family: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000', family: 'jpeg-2000' },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component (Lossless Only)', family: 'none' },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component', family: 'none' },
  '1.2.840.10008.1.2.4.94': { name: 'JPIP Referenced', family: 'none', why: 'pixel data is not in the file' },
  '1.2.840.10008.1.2.4.95': { name: 'JPIP Referenced Deflate', family: 'none', why: 'pixel data is not in the file' },
  '1.2.840.10008.1.2.4.201': { name: 'HTJ2K (Lossless Only)', family: 'htj2k' },
  '1.2.840.10008.1.2.4.202': { name: 'HTJ2K with RPCL Options (Lossless Only)', family: 'htj2k' },
  '1.2.840.10008.1.2.4.203': { name: 'HTJ2K', family: 'htj2k' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile / Main Level', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 Main Profile / High Level', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264 High Profile', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible High Profile', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.104': { name: 'MPEG-4 AVC/H.264 High Profile For 2D Video', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.105': { name: 'MPEG-4 AVC/H.264 High Profile For 3D Video', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.106': { name: 'MPEG-4 AVC/H.264 Stereo High Profile', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.107': { name: 'HEVC/H.265 Main Profile', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.108': { name: 'HEVC/H.265 Main 10 Profile', family: 'none', why: VIDEO_WHY },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless', family: 'none' },
  '1.2.840.10008.1.2.4.111': { name: 'JPEG XL JPEG Recompression', family: 'none' },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL', family: 'none' },
};

/** Trim the padding (space / NUL) that DICOM UI values may carry. */
export function normaliseUid(uid: string): string {
  return uid.replace(/[\s\0]+$/g, '').trim();
}

export function lookupSyntax(uid: string): SyntaxEntry | undefined {
  return TABLE[normaliseUid(uid)];
}

export function codecFamily(uid: string): CodecFamily {
  return lookupSyntax(uid)?.family ?? 'none';
}

export function isSupportedTransferSyntax(uid: string): boolean {
  return codecFamily(uid) !== 'none';
}

export function transferSyntaxName(uid: string): string {
  const entry = lookupSyntax(uid);
  if (entry) return entry.name;
  return normaliseUid(uid) ? 'unknown transfer syntax' : 'missing transfer syntax';
}

/** Extra reason for an unsupported syntax, if we know one. */
export function unsupportedReason(uid: string): string | undefined {
  return lookupSyntax(uid)?.why;
}
