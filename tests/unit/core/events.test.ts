import { describe, expect, it } from 'vitest';
import { Emitter } from '../../../src/core/events';
import { errorReason, VoxsegError } from '../../../src/core/errors';

describe('Emitter', () => {
  it('delivers details to listeners of that event only, and unsubscribes', () => {
    const e = new Emitter<{ a: number; b: string }>();
    const got: unknown[] = [];
    const off = e.on('a', (n) => got.push(n));
    e.on('b', (s) => got.push(s));
    e.emit('a', 1);
    e.emit('b', 'x');
    off();
    e.emit('a', 2);
    expect(got).toEqual([1, 'x']);
  });
});

describe('VoxsegError', () => {
  it('names the file in its message and keeps the code', () => {
    const err = new VoxsegError('truncated', 'file ends at byte 10', { file: 'a/b.dcm' });
    expect(err.message).toBe('a/b.dcm: file ends at byte 10');
    expect(err.code).toBe('truncated');
    expect(err.file).toBe('a/b.dcm');
    expect(err.reason).toBe('file ends at byte 10');
  });

  it('gives the reason without the file; other errors give their message', () => {
    expect(errorReason(new VoxsegError('truncated', 'a/b.dcm: x', { file: 'a/b.dcm' }))).toBe('a/b.dcm: x');
    expect(errorReason(new VoxsegError('usage', 'no file here'))).toBe('no file here');
    expect(errorReason(new Error('plain'))).toBe('plain');
    expect(errorReason('text')).toBe('text');
  });
});
