import { describe, expect, it } from 'vitest';
import { embeddingBackwardRef, embeddingForwardRef } from '../../src/analysis/reference/embedding.ts';
import { tensor } from './reference_helpers.ts';

describe('embeddingForwardRef / embeddingBackwardRef', () => {
  const weight = tensor([4, 2], [0, 1, 10, 11, 20, 21, 30, 31]);

  it('looks rows up for indices of any shape, 0-D included', () => {
    const out = embeddingForwardRef(weight, [3, 0, 3, 1], [2, 2]);
    expect(out.shape).toEqual([2, 2, 2]);
    expect(Array.from(out.data)).toEqual([30, 31, 0, 1, 30, 31, 10, 11]);
    const scalar = embeddingForwardRef(weight, [2], []);
    expect(scalar.shape).toEqual([2]);
    expect(Array.from(scalar.data)).toEqual([20, 21]);
  });

  it('sums the gradient rows of repeated indices and skips the padding row', () => {
    const g = tensor([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    // Row 3 appears at positions 0 and 2: (1, 2) + (5, 6); row 0 once; row 1 is padding.
    expect(Array.from(embeddingBackwardRef(weight, [3, 0, 3, 1], g, 1).data)).toEqual([3, 4, 0, 0, 0, 0, 6, 8]);
    expect(Array.from(embeddingBackwardRef(weight, [3, 0, 3, 1], g).data)).toEqual([3, 4, 7, 8, 0, 0, 6, 8]);
  });

  it('names the position and the range of an out-of-range index', () => {
    expect(() => embeddingForwardRef(weight, [0, 4], [2])).toThrow('indices[1] = 4 is outside [0, 4)');
    expect(() => embeddingForwardRef(weight, [-1], [1])).toThrow('indices[0] = -1 is outside [0, 4)');
  });
});
