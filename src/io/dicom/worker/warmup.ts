/**
 * Warming the JPEG 2000 codec up. Instantiating a WebAssembly codec compiles it with V8's
 * baseline compiler only; optimised code for its hot functions is compiled in the background
 * once they have run enough. In a fresh page that happens during the first real study: measured
 * on 2 cores, the first 20-slice JPEG 2000 load took ~600 ms instead of ~360 ms, the optimising
 * compiler competing with the decoders for the cores. Decoding a tiny embedded codestream (64x64,
 * synthetic, see warmup-sample.ts) 20 times when the workers start (~80 ms per worker, while the
 * app starts) moves that work out of the first load.
 */
import { decodeFrame, type FrameInfo } from '../decode/index';
import { J2K_BASE64, J2K_SIZE } from './warmup-sample';

const WARMUP_DECODES = 20;

/** The embedded sample: codestream bytes and what the decoder needs to know about it. */
export function j2kWarmupFrame(): { bytes: Uint8Array; info: FrameInfo } {
  const bin = atob(J2K_BASE64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const info: FrameInfo = {
    transferSyntaxUid: '1.2.840.10008.1.2.4.90',
    rows: J2K_SIZE,
    columns: J2K_SIZE,
    bitsAllocated: 16,
    bitsStored: 16,
    pixelRepresentation: 1,
    samplesPerPixel: 1,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
  };
  return { bytes, info };
}

/** Decode the sample a few times (errors are left to the first real frame to report). */
export async function warmUpJ2k(decodes = WARMUP_DECODES): Promise<void> {
  const { bytes, info } = j2kWarmupFrame();
  for (let i = 0; i < decodes; i++) await decodeFrame(bytes, info);
}
