import { describe, expect, it } from 'vitest';
import { VoxsegError } from '../../../src/core/errors';
import { decideSlab } from '../../../src/inference/decide';
import type { Postprocessing } from '../../../src/inference/manifest';

/** Logits [channel][voxel] from per-voxel rows. */
function planes(rows: number[][]): Float32Array {
  const voxels = rows.length;
  const channels = rows[0].length;
  const out = new Float32Array(channels * voxels);
  for (let v = 0; v < voxels; v++) for (let c = 0; c < channels; c++) out[c * voxels + v] = rows[v][c];
  return out;
}

function decide(
  rows: number[][],
  post: Postprocessing,
  out: Uint8Array | Uint16Array = new Uint8Array(rows.length),
  offset = 0,
): number[] {
  decideSlab(planes(rows), rows[0].length, rows.length, post, out, offset);
  return Array.from(out);
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

describe('decideSlab argmax', () => {
  const rows = [
    [0.1, 2, 1],
    [3, -1, 3], // tie between 0 and 2: first wins
    [-5, 4, 4], // tie between 1 and 2
    [1, 1, 1],
    [-1, -2, 7],
  ];

  it('picks the largest channel, the first one on ties, whatever the activation', () => {
    for (const activation of ['none', 'softmax', 'sigmoid'] as const)
      expect(decide(rows, { activation, decision: 'argmax' })).toEqual([1, 0, 1, 0, 2]);
  });

  it('maps channels to label values through channelLabels', () => {
    expect(decide(rows, { activation: 'softmax', decision: 'argmax', channelLabels: [0, 7, 3] })).toEqual([
      7, 0, 7, 0, 3,
    ]);
  });

  it('writes 16-bit labels at an offset', () => {
    const out = new Uint16Array(8).fill(9);
    decide(rows, { activation: 'softmax', decision: 'argmax', channelLabels: [0, 300, 65535] }, out, 2);
    expect(Array.from(out)).toEqual([9, 9, 300, 0, 300, 0, 65535, 9]);
  });

  it('refuses label values that do not fit the label map', () => {
    const err = (() => {
      try {
        decide(rows, { activation: 'none', decision: 'argmax', channelLabels: [0, 300, 2] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(VoxsegError);
    expect((err as VoxsegError).code).toBe('invalid-model');
  });

  it('never lets a NaN logit win', () => {
    expect(
      decide(
        [
          [NaN, 1, 0],
          [0, NaN, 2],
          [NaN, NaN, NaN],
        ],
        { activation: 'none', decision: 'argmax' },
      ),
    ).toEqual([1, 2, 0]);
  });
});

describe('decideSlab threshold', () => {
  it('applies the sigmoid, then takes the highest channel above its threshold, else background', () => {
    const post: Postprocessing = { activation: 'sigmoid', decision: 'threshold', thresholds: [0.5, 0.3, 0.9] };
    const rows = [
      [logit(0.4), logit(0.2), logit(0.95)], // only channel 2 -> 3
      [logit(0.6), logit(0.35), logit(0.85)], // 0 and 1 -> highest is 1 -> 2
      [logit(0.49), logit(0.29), logit(0.89)], // nothing -> 0
      [logit(0.51), -20, -20], // 0 -> 1
      [5, 5, 5], // all -> 3 (nested regions: inner wins)
    ];
    expect(decide(rows, post)).toEqual([3, 2, 0, 1, 3]);
  });

  it('compares the activated value, not the logit', () => {
    // raw 0.55 is below 0.6 but sigmoid(0.55) = 0.634 is above it
    expect(sigmoid(0.55)).toBeGreaterThan(0.6);
    expect(decide([[0.2, 0.55]], { activation: 'sigmoid', decision: 'threshold', thresholds: [0.1, 0.6] })).toEqual([
      2,
    ]);
    expect(decide([[0.2, 0.55]], { activation: 'none', decision: 'threshold', thresholds: [0.1, 0.6] })).toEqual([1]);
    // sigmoid(-1) = 0.27 < 0.3, sigmoid(0.05) = 0.5125 < 0.52 < sigmoid(0.1) = 0.525
    expect(decide([[-1, 0.05]], { activation: 'sigmoid', decision: 'threshold', thresholds: [0.3, 0.52] })).toEqual([
      0,
    ]);
    expect(decide([[-1, 0.1]], { activation: 'sigmoid', decision: 'threshold', thresholds: [0.3, 0.52] })).toEqual([2]);
    expect(decide([[-0.5, 0.05]], { activation: 'sigmoid', decision: 'threshold', thresholds: [0.3, 0.52] })).toEqual([
      1,
    ]);
  });

  it('defaults thresholds to 0.5 and labels to channel + 1, honouring channelLabels and 16-bit output', () => {
    expect(
      decide(
        [
          [1, -1],
          [-1, -1],
          [-1, 1],
        ],
        { activation: 'sigmoid', decision: 'threshold' },
      ),
    ).toEqual([1, 0, 2]);
    const out = new Uint16Array(3);
    decide(
      [
        [1, -1],
        [-1, -1],
        [-1, 1],
      ],
      { activation: 'sigmoid', decision: 'threshold', channelLabels: [1000, 2000] },
      out,
    );
    expect(Array.from(out)).toEqual([1000, 0, 2000]);
  });

  it('applies softmax across channels before thresholding', () => {
    // softmax([2, 0, 0]) = [0.787, 0.106, 0.106]
    expect(
      decide(
        [
          [2, 0, 0],
          [0, 0, 0],
        ],
        { activation: 'softmax', decision: 'threshold', thresholds: [0.7, 0.5, 0.3] },
      ),
    ).toEqual([1, 3]);
  });
});
