/** Voxel edit operations: pure functions on (labels, dims, spacing, ...) that write inside a box. */
export * from './shape';
export * from './paint';
export * from './fill';
export * from './components';
export * from './interpolate';
export * from './relabel';
