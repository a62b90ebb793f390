import { describe, expect, it } from 'vitest';
import { estimateEta, formatCount, formatMl, formatSeconds, voxelsToMl } from '../../../src/app/segment/stats';
import { countLabels } from '../../../src/volume/labels';

describe('auto-segment panel helpers', () => {
  it('counts voxels per label value, background included', () => {
    expect(countLabels(new Uint8Array([0, 1, 1, 7, 0, 0]))).toEqual({ 0: 3, 1: 2, 7: 1 });
    expect(countLabels(new Uint16Array([1000, 1000, 2]))).toEqual({ 2: 1, 1000: 2 });
  });
  it('turns voxels into millilitres', () => {
    // 1000 voxels of 1 mm³ = 1 mL; 8 voxels of 2.5×2×2 mm = 80 mm³
    expect(voxelsToMl(1000, [1, 1, 1])).toBe(1);
    expect(voxelsToMl(8, [2.5, 2, 2])).toBeCloseTo(0.08);
    expect(formatMl(12.34)).toBe('12.3 mL');
    expect(formatMl(1534)).toBe('1.53 L');
  });
  it('formats seconds and counts', () => {
    expect(formatSeconds(0.42)).toBe('0.4 s');
    expect(formatSeconds(42.4)).toBe('42 s');
    expect(formatSeconds(185)).toBe('3 min 05 s');
    expect(formatCount(1234567)).toBe('1\u2009234\u2009567');
  });
  it('prefers the engine ETA, else extrapolates the stage', () => {
    expect(estimateEta({ stage: 'Running the model', done: 2, total: 10, etaSeconds: 7 }, 100)).toBe(7);
    expect(estimateEta({ stage: 'Running the model', done: 2, total: 10 }, 4)).toBe(16);
    expect(estimateEta({ stage: 'Loading', done: 0, total: 1 }, 4)).toBeUndefined();
  });
});
