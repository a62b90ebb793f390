export type { LabelMesh, MeshOptions, MeshStats } from './types';
export {
  meshLabels,
  meshLabel,
  labelExtents,
  DEFAULT_PASS_BAND,
  DEFAULT_SMOOTHING,
  defaultSmoothing,
  type LabelExtent,
} from './mesher';
export { IncrementalMesher, type IndexBox } from './incremental';
export { measure, edgeReport, vertexNormals, type EdgeReport, type Measures } from './measure';
export { MeshClient, type MeshJob, type MeshResult, type MeshWorkerLike } from './client';
