export * from './types';
export * from './errors';
export * from './events';
