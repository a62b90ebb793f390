/** Types of the frame decoder (re-exported by ./index.ts). */

/** What the decoder needs to know about one frame, from the dataset's Image Pixel module. */
export interface FrameInfo {
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 1 = signed (two's complement). */
  pixelRepresentation: 0 | 1;
  /** 1 for grey, 3 for colour. */
  samplesPerPixel: number;
  planarConfiguration: 0 | 1;
  /** MONOCHROME1/2, RGB, YBR_FULL, YBR_FULL_422, PALETTE COLOR, ... */
  photometricInterpretation: string;
  /** Float Pixel Data (7FE0,0008): 32-bit IEEE floats; decoded as Float32Array. */
  isFloat?: boolean;
  /**
   * BitsAllocated 1 only: bit position of the frame's first pixel in `encoded` (default 0). Frames
   * of multi-frame 1-bit data are packed back to back without byte alignment, so either pass the
   * whole pixel data with bitOffset = k*rows*columns*samplesPerPixel, or the bytes from
   * floor(that/8) with the remainder.
   */
  bitOffset?: number;
  /**
   * Explicit VR Big Endian only: the VR of the Pixel Data element. With 'OW', 1-bit and 8-bit
   * data sit in byte-swapped 16-bit words (pass such frames from an even byte offset); with 'OB'
   * or undefined the bytes are in order.
   */
  pixelDataVr?: string;
}

/**
 * Decoded stored values, one per sample, rows*columns*samplesPerPixel long, samples interleaved
 * (planar config normalised to 0), YBR converted to RGB. Typed array matching the stored value
 * range: Uint8/Int8/Uint16/Int16/Uint32/Int32 (Float32 for float pixel data). For signed data with
 * bitsStored < bitsAllocated the sign is extended correctly.
 */
export type DecodedPixels = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array;

/** How raw stored values must still be normalised: mask (unsigned) or sign-extend (signed) to BitsStored. */
export interface StoredFix {
  bitsStored: number;
  signed: boolean;
}

/** A frame from decodeFrameUnmasked. */
export interface UnmaskedFrame {
  pixels: DecodedPixels;
  /** Set when `pixels` is a raw native view whose bits above BitsStored the caller must fix. */
  fix?: StoredFix;
  /** Values (after `fix`) are guaranteed within the BitsStored range. */
  inRange: boolean;
}
