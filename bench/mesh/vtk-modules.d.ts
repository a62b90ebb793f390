/** vtk.js ships no type declarations for its image marching cubes filter: the part the bench uses. */
declare module '@kitware/vtk.js/Filters/General/ImageMarchingCubes.js' {
  import type { vtkImageData } from '@kitware/vtk.js/Common/DataModel/ImageData';
  import type { vtkPolyData } from '@kitware/vtk.js/Common/DataModel/PolyData';

  export interface vtkImageMarchingCubes {
    setInputData(image: vtkImageData): void;
    getOutputData(): vtkPolyData;
    setContourValue(v: number): boolean;
  }

  const factory: {
    newInstance(init?: {
      contourValue?: number;
      computeNormals?: boolean;
      mergePoints?: boolean;
    }): vtkImageMarchingCubes;
  };
  export default factory;
}
