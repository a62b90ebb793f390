/**
 * The vtk.js baseline: `vtkImageMarchingCubes` run once per label on a binary mask of that label,
 * the usual way to get organ surfaces out of a label map with vtk.js: 0/1 Uint8 scalars in a
 * `vtkImageData` with the volume's spacing and origin, contour value 0.5, computeNormals and
 * mergePoints on. (The filter places points at origin + index × spacing: it ignores any direction.)
 */
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray.js';
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData.js';
import vtkImageMarchingCubes from '@kitware/vtk.js/Filters/General/ImageMarchingCubes.js';
import type { Volume } from '../../src/core/types';

export interface VtkLabelRun {
  label: number;
  /** Building the 0/1 mask and its vtkImageData. */
  maskMs: number;
  /** The filter's run (`getOutputData()`). */
  mcMs: number;
  triangles: number;
  points: number;
}

/** The 0/1 mask of `label` as a vtkImageData with the volume's dims, spacing and origin. */
export function maskImage(labels: Volume, label: number) {
  const v = labels.voxels;
  const mask = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) mask[i] = v[i] === label ? 1 : 0;
  const { dims, spacing, origin } = labels.header;
  const image = vtkImageData.newInstance();
  image.setDimensions([...dims]);
  image.setSpacing([...spacing]);
  image.setOrigin([...origin]);
  image.getPointData().setScalars(vtkDataArray.newInstance({ name: 'mask', numberOfComponents: 1, values: mask }));
  return image;
}

/** Mask + marching cubes for one label, each part timed. */
export function vtkMeshLabel(labels: Volume, label: number): VtkLabelRun {
  const t0 = performance.now();
  const image = maskImage(labels, label);
  const t1 = performance.now();
  const filter = vtkImageMarchingCubes.newInstance({ contourValue: 0.5, computeNormals: true, mergePoints: true });
  filter.setInputData(image);
  // The filter reports its own duration with console.time('mcubes'); muted so stdout stays ours.
  const { time, timeEnd } = console;
  console.time = console.timeEnd = () => {};
  let poly;
  try {
    poly = filter.getOutputData();
  } finally {
    Object.assign(console, { time, timeEnd });
  }
  const t2 = performance.now();
  return {
    label,
    maskMs: t1 - t0,
    mcMs: t2 - t1,
    triangles: poly.getPolys().getNumberOfCells(),
    points: poly.getPoints().getNumberOfPoints(),
  };
}
