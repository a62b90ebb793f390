export * from './volume';
export * from './geometry';
