/**
 * Turn a voxseg `Volume` into a Cornerstone3D local image volume (cached under `volumeId`).
 */
import { volumeLoader, cache, utilities, type Types } from '@cornerstonejs/core';
import type { Mat3, Volume, VoxelArray } from '../core/types';
import { valueRange } from '../volume/volume';

type CsPixels = Uint8Array | Int16Array | Uint16Array | Float32Array;

/**
 * Our `direction` is row-major with column c = LPS vector of index axis c. Cornerstone (and
 * vtk.js `setDirection`) want the three axis vectors one after the other:
 * [i-axis (row direction), j-axis (column direction), k-axis (slice normal)] — the transpose.
 */
export function toCornerstoneDirection(d: Readonly<Mat3>): Types.Mat3 {
  return [d[0], d[3], d[6], d[1], d[4], d[7], d[2], d[5], d[8]] as Types.Mat3;
}

/**
 * Voxels in a type Cornerstone textures accept (uint8, int16, uint16, float32). Those four are
 * passed through without copying; int8 widens to int16; 32/64-bit types become int16 when every
 * value is an integer in range (common for NIfTI int32 CT) and float32 otherwise.
 */
export function toCornerstonePixels(v: VoxelArray): CsPixels {
  if (v instanceof Uint8Array || v instanceof Int16Array || v instanceof Uint16Array || v instanceof Float32Array)
    return v;
  if (v instanceof Int8Array) return Int16Array.from(v);
  if (v instanceof Int32Array || v instanceof Uint32Array) {
    const [lo, hi] = valueRange(v);
    if (lo >= -32768 && hi <= 32767) return Int16Array.from(v);
    if (lo >= 0 && hi <= 65535) return Uint16Array.from(v);
  }
  return Float32Array.from(v);
}

function bits(p: CsPixels): number {
  return p instanceof Uint8Array ? 8 : p instanceof Float32Array ? 32 : 16;
}

export interface CornerstoneVolumeOptions {
  /** Frame of reference (default: the volume's own, else `volumeId`). Volumes shown together share one. */
  frameOfReferenceUID?: string;
  /** DICOM modality for Cornerstone (default: the volume's, else 'OT'). */
  modality?: string;
  /** The image volume a label map belongs to. */
  referencedVolumeId?: string;
}

/**
 * Create (and cache) the Cornerstone volume. `volumeId` must not contain ':' (loader scheme).
 * The voxels are not copied when they are uint8/int16/uint16/float32: each slice image is a view.
 */
export function createCornerstoneVolume(
  volumeId: string,
  volume: Volume,
  options: CornerstoneVolumeOptions = {},
): Types.IImageVolume {
  if (volumeId.includes(':')) throw new Error(`volume id ${JSON.stringify(volumeId)} must not contain ':'`);
  const { dims, spacing, origin, direction, metadata } = volume.header;
  const frameOfReferenceUID = options.frameOfReferenceUID ?? metadata.frameOfReferenceUid ?? volumeId;
  const scalarData = toCornerstonePixels(volume.voxels);
  const csDirection = toCornerstoneDirection(direction);
  const b = bits(scalarData);
  const signed = scalarData instanceof Int16Array || scalarData instanceof Float32Array;
  const csVolume = volumeLoader.createLocalVolume(volumeId, {
    dimensions: [dims[0], dims[1], dims[2]],
    spacing: [spacing[0], spacing[1], spacing[2]],
    origin: [origin[0], origin[1], origin[2]],
    direction: csDirection,
    scalarData,
    referencedVolumeId: options.referencedVolumeId,
    metadata: {
      BitsAllocated: b,
      BitsStored: b,
      HighBit: b - 1,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      PixelRepresentation: signed ? 1 : 0,
      Modality: options.modality ?? metadata.modality ?? 'OT',
      SeriesInstanceUID: metadata.seriesInstanceUid,
      ImageOrientationPatient: Array.from(csDirection.slice(0, 6)),
      PixelSpacing: [spacing[1], spacing[0]],
      FrameOfReferenceUID: frameOfReferenceUID,
      Columns: dims[0],
      Rows: dims[1],
      voiLut: [],
      VOILUTFunction: 'LINEAR',
    },
  });
  fixSlicePositions(csVolume, volume, csDirection, frameOfReferenceUID);
  // Mark every slice for texture upload.
  csVolume.modified();
  return csVolume;
}

/**
 * createLocalVolume gives every slice image the volume origin as its position; tools that look
 * up "the image at this point" then find none. Give slice k its real position.
 */
function fixSlicePositions(
  csVolume: Types.IImageVolume,
  volume: Volume,
  csDirection: Types.Mat3,
  frameOfReferenceUID: string,
): void {
  const { origin, spacing } = volume.header;
  const normal = [csDirection[6], csDirection[7], csDirection[8]];
  const provider = utilities.genericMetadataProvider;
  csVolume.imageIds.forEach((imageId, k) => {
    const plane = provider.get('imagePlaneModule', imageId) as Record<string, unknown> | undefined;
    if (!plane) return;
    const step = k * spacing[2];
    provider.addRaw(imageId, {
      type: 'imagePlaneModule',
      metadata: {
        ...plane,
        frameOfReferenceUID,
        imageOrientationPatient: Array.from(csDirection.slice(0, 6)),
        imagePositionPatient: [
          origin[0] + step * normal[0],
          origin[1] + step * normal[1],
          origin[2] + step * normal[2],
        ],
        sliceThickness: spacing[2],
      },
    });
  });
}

/**
 * Slices `slices` (along k) of a Cornerstone volume made by createCornerstoneVolume were written
 * in place (its voxels are the Volume's own): upload just those slices again on the next draw.
 */
export function cornerstoneSlicesModified(volumeId: string, slices: readonly number[]): void {
  const volume = cache.getVolume(volumeId) as
    | (Types.IImageVolume & {
        vtkOpenGLTexture?: { setUpdatedFrame?(k: number): void; modified?(): void };
        voxelManager?: { invalidateCache?(): void };
      })
    | undefined;
  if (!volume) return;
  const texture = volume.vtkOpenGLTexture;
  if (texture?.setUpdatedFrame) for (const k of slices) texture.setUpdatedFrame(k);
  else texture?.modified?.();
  volume.voxelManager?.invalidateCache?.();
  volume.imageData?.modified();
}

export function removeCornerstoneVolume(volumeId: string): void {
  if (cache.getVolume(volumeId)) cache.removeVolumeLoadObject(volumeId);
}
