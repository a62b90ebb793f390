import { expect } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';

/** Run `fn`, expect it to throw a VoxsegError, and return that error. */
export function catchVoxseg(fn: () => unknown): VoxsegError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VoxsegError);
    return e as VoxsegError;
  }
  throw new Error('expected an error');
}
