/** Label buffers: shared memory only where the page is cross-origin isolated (or when asked). */
import { afterEach, describe, expect, it } from 'vitest';
import { allocLabels, canShareLabels, isShared, shareLabels } from '../../../src/volume/buffers';
import { Segmentation } from '../../../src/volume/segmentation';
import { makeSegment } from '../../../src/volume/segments';
import { createVolume } from '../../../src/volume/volume';

const g = globalThis as { crossOriginIsolated?: boolean };
afterEach(() => {
  delete g.crossOriginIsolated;
});

describe('label buffers', () => {
  it('are plain in Node and on a page that is not isolated, shared on an isolated one', () => {
    expect(canShareLabels()).toBe(false);
    const plain = allocLabels(Uint16Array, 10);
    expect(plain).toBeInstanceOf(Uint16Array);
    expect(isShared(plain)).toBe(false);
    g.crossOriginIsolated = true;
    expect(canShareLabels()).toBe(true);
    const shared = allocLabels(Uint8Array, 10);
    expect(shared).toBeInstanceOf(Uint8Array);
    expect(isShared(shared)).toBe(true);
    expect(shared.length).toBe(10);
    expect(isShared(allocLabels(Uint16Array, 3))).toBe(true);
    expect(allocLabels(Uint16Array, 3).byteLength).toBe(6);
  });

  it('shareLabels copies a plain array onto shared memory once, and passes a shared one through', () => {
    const plain = Uint16Array.from([0, 3, 300, 7]);
    expect(shareLabels(plain, false)).toBe(plain);
    const shared = shareLabels(plain, true);
    expect(isShared(shared)).toBe(true);
    expect(shared).toBeInstanceOf(Uint16Array);
    expect([...shared]).toEqual([0, 3, 300, 7]);
    expect(shareLabels(shared, true)).toBe(shared);
  });
});

describe('segmentation layers on an isolated page', () => {
  it('are shared, stay shared when promoted to uint16, adopt a shared result as it is, and edit and undo as usual', () => {
    g.crossOriginIsolated = true;
    const study = createVolume({
      dims: [12, 10, 8],
      spacing: [1, 1, 2],
      origin: [0, 0, 0],
      voxels: new Int16Array(960),
    });
    const seg = Segmentation.empty(study);
    expect(isShared(seg.layers[0].voxels)).toBe(true);
    const a = seg.addSegment({ name: 'a' }).value;
    const box = seg.paint({ kind: 'box', lo: [2, 2, 2], hi: [6, 6, 5] }, a);
    expect(box).not.toBeNull();
    seg.addSegment({ name: 'wide', value: 300 });
    const layer = seg.layers[0].voxels;
    expect(layer).toBeInstanceOf(Uint16Array);
    expect(isShared(layer)).toBe(true);
    expect(layer.filter((v) => v === a).length).toBe(4 * 4 * 3);
    seg.undo();
    seg.undo();
    expect(seg.layers[0].voxels.filter((v) => v === a).length).toBe(0);

    const result = allocLabels(Uint8Array, 960);
    result[5] = 2;
    const adopted = Segmentation.fromLabels(
      study,
      [createVolume({ ...study.header, voxels: result })],
      [{ ...makeSegment(2, []), name: 'organ' }],
    );
    expect(adopted.layers[0].voxels).toBe(result);
  });
});
