export * from './types';
export * from './errors';
export * from './events';
export * from './hash';
