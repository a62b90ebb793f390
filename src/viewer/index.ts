export { Viewer, type ViewerEvents } from './viewer';
export { MPR_VIEWS, VIEW_NAMES, type MprView, type ViewName, type ViewerElements } from './layout';
export { PRESETS, type PresetName, type WindowLevel } from './presets';
export type { EdgeLabels } from './orientation';
export { colorTable, type SegmentInfo } from './labelmap';
export type { SurfaceInput } from './surfaces';
export { CAMERA_PRESETS, type CameraPresetName } from './camera3d';
export type { ViewPointer } from './pointer';
export type { MeasureKind, MeasureChange, ViewMeasurement } from './measure';
