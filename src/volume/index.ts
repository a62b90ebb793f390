export * from './volume';
export * from './geometry';
export * from './reorient';
export * from './resample';
export * from './labels';
